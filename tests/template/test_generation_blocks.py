"""The jinja backend reads the loss mask from ``{% generation %}`` blocks when a chat template has them."""

from __future__ import annotations

import copy

import pytest

from swift.template import get_template
from swift_sdk.tiny import CHATML_TEMPLATE

# the SDK's tiny ChatML template has the assistant's output (text and end token) in generation blocks
CHATML_BLOCKS = CHATML_TEMPLATE
assert "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}" in CHATML_BLOCKS
# the same layout, but the block holds the text only: the template's author leaves the end token untrained
TEXT_ONLY_BLOCKS = CHATML_BLOCKS.replace(
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}",
    "{% generation %}{{ message['content'] }}{% endgeneration %}{{ '<|im_end|>' }}",
)
# the prefix-diff method cannot place a reply that the template rewrites in later turns
REWRITING_BLOCKS = CHATML_BLOCKS.replace(
    "message['content'] + '<|im_end|>'", "(message['content'] if loop.last else 'earlier') + '<|im_end|>'"
)

CONVERSATION = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "What is one plus one?"},
    {"role": "assistant", "content": "Two."},
    {"role": "user", "content": "And two plus two?"},
    {"role": "assistant", "content": "Four."},
]


@pytest.fixture
def tokenizer_with(chatml_tokenizer):
    def make(template: str):
        tokenizer = copy.deepcopy(chatml_tokenizer)
        tokenizer.chat_template = template
        return tokenizer

    return make


def _trained_text(tokenizer, encoded) -> list[str]:
    runs, current = [], []
    for token, label in zip(encoded["input_ids"], encoded["labels"]):
        if label != -100:
            current.append(token)
        elif current:
            runs.append(tokenizer.decode(current))
            current = []
    if current:
        runs.append(tokenizer.decode(current))
    return runs


def test_generation_blocks_give_the_mask_of_the_swift_template(tokenizer_with):
    tokenizer = tokenizer_with(CHATML_BLOCKS)
    row = {"messages": CONVERSATION}
    swift = get_template("chatml", tokenizer).encode(row)
    jinja = get_template("chatml", tokenizer, template_backend="jinja").encode(row)
    assert jinja == swift
    assert _trained_text(tokenizer, jinja) == ["Two.<|im_end|>", "Four.<|im_end|>"]


def test_the_blocks_decide_what_is_trained(tokenizer_with):
    tokenizer = tokenizer_with(TEXT_ONLY_BLOCKS)
    encoded = get_template("chatml", tokenizer, template_backend="jinja").encode({"messages": CONVERSATION})
    assert _trained_text(tokenizer, encoded) == ["Two.", "Four."]


def test_blocks_mask_templates_the_prefix_method_cannot(tokenizer_with):
    tokenizer = tokenizer_with(REWRITING_BLOCKS)
    encoded = get_template("chatml", tokenizer, template_backend="jinja").encode({"messages": CONVERSATION})
    # the first reply is rendered as "earlier" inside the whole conversation, and trained as written there
    assert _trained_text(tokenizer, encoded) == ["earlier<|im_end|>", "Four.<|im_end|>"]


def test_last_round_trains_only_the_last_block(tokenizer_with):
    tokenizer = tokenizer_with(CHATML_BLOCKS)
    template = get_template("chatml", tokenizer, template_backend="jinja", loss_scale="last_round")
    assert _trained_text(tokenizer, template.encode({"messages": CONVERSATION})) == ["Four.<|im_end|>"]
