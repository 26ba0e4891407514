"""GRPO trains on the tokens the engine sampled (``return_token_ids``), checks the
engine's prompt against its own, and re-encodes the text of engines without ids."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from swift_trl.grpo.sampling import GroupSampler
from swift_trl.grpo.token_ids import PromptMismatchError, sampled_answer_ids

from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    ChatMessage,
    RequestConfig,
    UsageInfo,
)
from swift.template import get_template

ROW = {"messages": [{"role": "user", "content": "what is 2 plus 3?"}], "solution": "5"}


@pytest.fixture(scope="module")
def template(tiny_model_dir):
    from transformers import AutoTokenizer

    return get_template("qwen3", AutoTokenizer.from_pretrained(tiny_model_dir))


class ScriptedEngine:
    """Answers every request with the same choices; records the configs it was given."""

    def __init__(self, choices, prompt_token_ids=None):
        self.choices = choices
        self.prompt_token_ids = prompt_token_ids
        self.configs: list[RequestConfig] = []

    def infer(self, requests, request_config=None):
        self.configs.append(request_config)
        return [
            ChatCompletionResponse(
                "scripted",
                [dataclasses.replace(c) for c in self.choices],
                UsageInfo(0, 0),
                prompt_token_ids=self.prompt_token_ids,
            )
            for _ in requests
        ]


def _choice(text, finish="stop", token_ids=None):
    return ChatCompletionResponseChoice(0, ChatMessage("assistant", text), finish, None, token_ids)


def test_sampled_ids_get_only_the_turn_end_beyond_the_sampled_end_token():
    end = [7, 8]  # e.g. <|im_end|> \n
    assert sampled_answer_ids(_choice("a", "stop", [1, 2, 7]), "a", end) == [1, 2, 7, 8]
    assert sampled_answer_ids(_choice("a", "length", [1, 2, 3]), "a", end) == [1, 2, 3]
    # stopped by a stop string: kept as sampled
    assert sampled_answer_ids(_choice("a", "stop", [1, 2, 5]), "a", end) == [1, 2, 5]
    assert sampled_answer_ids(_choice("a", "stop", None), "a", end) is None
    # a message a scheduler rewrote is not the sampled answer any more
    assert sampled_answer_ids(_choice("a", "stop", [1, 7]), "b", end) is None


def test_a_server_prompt_that_differs_from_the_trainers_is_refused(template):
    prompt = template.encode_prompt(ROW["messages"])
    end = template.tokenizer.convert_tokens_to_ids("<|im_end|>")
    engine = ScriptedEngine([_choice("5", "stop", [20, end])], prompt_token_ids=[1, *prompt])
    sampler = GroupSampler(engine, template, 1, RequestConfig(max_tokens=4))

    with pytest.raises(PromptMismatchError, match="same --template, --system and --max_length"):
        sampler.sample([ROW])
    assert engine.configs[0].return_token_ids is True


def test_the_text_is_re_encoded_when_the_engine_returns_no_ids(template):
    engine = ScriptedEngine([_choice("2 plus 3 is 5."), _choice("five", "length")])
    sampler = GroupSampler(engine, template, 2, RequestConfig(max_tokens=4))

    stopped, cut = sampler.sample([ROW])

    tokenizer = template.tokenizer
    assert stopped.completion_ids == tokenizer.encode("2 plus 3 is 5." + sampler.turn_end, add_special_tokens=False)
    assert cut.completion_ids == tokenizer.encode("five", add_special_tokens=False)
    assert stopped.input_ids[: -len(stopped.completion_ids)] == template.encode_prompt(ROW["messages"])


def test_completion_ids_are_the_engines_sampled_ids(tiny_model_dir, template):
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import InferArguments

    engine = PtEngine(InferArguments(model=tiny_model_dir), template=template, max_batch_size=4)
    sampler = GroupSampler(engine, template, 4, RequestConfig(max_tokens=16, temperature=1.0))
    try:
        samples = sampler.sample([ROW])
    finally:
        engine.close()

    bound = 16 + len(sampler.turn_end_ids)
    for sample in samples:
        [choice] = sample.trajectory.choices
        assert choice.token_ids is not None
        rest = [] if choice.finish_reason == "length" else sampler.turn_end_ids[1:]
        assert sample.completion_ids == [*choice.token_ids, *rest]
        assert len(sample.completion_ids) <= bound
        assert sample.input_ids[: -len(sample.completion_ids)] == template.encode_prompt(ROW["messages"])


def test_a_grpo_step_never_trains_on_more_than_the_cap_plus_the_turn_end(rlhf_args, rlhf, read_logs, tmp_path):
    plugin = tmp_path / "long.py"
    plugin.write_text(
        "from swift.kernel import RewardRecord, hookimpl\n"
        "def long(completions, completion_ids, **kw):\n"
        "    assert all(len(ids) <= 8 + 1 for ids in completion_ids)\n"
        "    return [len(c) / 10 for c in completions]\n"
        "@hookimpl\n"
        "def swift_register_rewards():\n"
        "    yield RewardRecord(name='long', load=f'{__name__}:long')\n"
    )
    result = rlhf(rlhf_args("grpo", external_plugins=[str(plugin)], reward_funcs=["long"], temperature=1.0))

    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert logs and all(math.isfinite(r["loss"]) for r in logs)
    assert all(r["completions/mean_length"] <= 8 + 1 for r in logs)  # qwen3 ends on <|im_end|>
