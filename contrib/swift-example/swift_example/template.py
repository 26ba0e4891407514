"""The ``example`` chat template: distinctive markers, so its prompts are easy to spot.

::

    <|system|>You are Example, a tiny demo model.<|end|>
    <|user|>Hi<|end|>
    <|bot|>Hello!<|end|>
"""

from swift.template import TemplateMeta

EXAMPLE = TemplateMeta(
    name="example",
    system_prefix="<|system|>{system}<|end|>\n",
    default_system="You are Example, a tiny demo model.",
    user="<|user|>{content}<|end|>\n",
    assistant_prefix="<|bot|>",
    assistant="{content}<|end|>",  # trained: the reply and the end-of-turn marker
    turn_sep="\n",
    stop_words=("<|end|>",),
)
