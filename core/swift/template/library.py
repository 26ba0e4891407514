"""The built-in chat templates, one :class:`TemplateMeta` per family.

Each follows its family's published Jinja chat template (the tests render both
and compare). ``{bos}``/``{eos}`` stand where the published template writes
``bos_token``/``eos_token``; literal tokens where it writes literals.
"""

from __future__ import annotations

from dataclasses import replace

from swift.template.meta import TemplateMeta, ThinkingFormat, ToolFormat

GENERATION = TemplateMeta(
    name="generation",
    prefix="{bos}",
    system_prefix="{bos}{system}\n\n",
    assistant="{content}{eos}",
    tool=ToolFormat(),
)
"""``use_chat_template=False``: plain text for base models and ``swift pt``."""

DEFAULT = TemplateMeta(
    name="default",
    prefix="{bos}",
    system_prefix="{bos}{system}\n\n",
    user="### Human:\n{content}\n\n",
    assistant_prefix="### Assistant:\n",
    assistant="{content}{eos}",
    turn_sep="\n\n",
    tool=ToolFormat(item="### Tool:\n{content}\n\n"),
)

CHAT_TEMPLATE = replace(DEFAULT, name="chat_template", own_chat_template=True)
"""The checkpoint's own chat template (jinja backend): families swift has no template for."""

CHATML = TemplateMeta(
    name="chatml",
    system_prefix="<|im_start|>system\n{system}<|im_end|>\n",
    user="<|im_start|>user\n{content}<|im_end|>\n",
    assistant_prefix="<|im_start|>assistant\n",
    assistant="{content}<|im_end|>",
    turn_sep="\n",
    tool=ToolFormat(item="<|im_start|>tool\n{content}<|im_end|>\n"),
    stop_words=("<|im_end|>",),
)

QWEN = replace(CHATML, name="qwen", default_system="You are a helpful assistant.")

# Qwen 2.5 / 3: tool results go back as a user turn; tool list and calls in the hermes format.
_QWEN_TOOL = ToolFormat(
    open="<|im_start|>user",
    item="\n<tool_response>\n{content}\n</tool_response>",
    close="<|im_end|>\n",
)
QWEN2_5 = replace(
    CHATML,
    name="qwen2_5",
    default_system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
    tool=_QWEN_TOOL,
    agent_template="hermes",
)

QWEN3 = replace(
    CHATML,
    name="qwen3",
    tool=_QWEN_TOOL,
    agent_template="hermes",
    thinking=ThinkingFormat(
        history_lstrip="\n",
        last_round="<think>\n{reasoning}\n</think>\n\n{content}",
        no_thinking_prefix="<think>\n\n</think>\n\n",
    ),
)

YI = replace(CHATML, name="yi", system_prefix="{system}", tool=None, reply_opens_after_user=True)
"""Yi-6B-Chat / Yi-34B-Chat as published: the system prompt bare, the assistant header after every user turn."""

INTERNLM2 = replace(
    CHATML,
    name="internlm2",
    prefix="{bos}",
    system_prefix="{bos}<|im_start|>system\n{system}<|im_end|>\n",
)

INTERNLM3 = replace(INTERNLM2, name="internlm3")

LLAMA = TemplateMeta(
    name="llama",
    user="{bos}[INST] {content} [/INST]",
    system_in_user="<<SYS>>\n{system}\n<</SYS>>\n\n",
    assistant=" {content} {eos}",
    trim=("user", "assistant"),
    trim_with_system=True,
)
"""Llama-2 chat: the system prompt lives inside the first ``[INST]``."""

LLAMA3 = TemplateMeta(
    name="llama3",
    prefix="{bos}",
    system_prefix="{bos}<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>",
    user="<|start_header_id|>user<|end_header_id|>\n\n{content}<|eot_id|>",
    assistant_prefix="<|start_header_id|>assistant<|end_header_id|>\n\n",
    assistant="{content}<|eot_id|>",
    tool=ToolFormat(item="<|start_header_id|>tool<|end_header_id|>\n\n{content}<|eot_id|>"),
    stop_words=("<|eot_id|>",),
    trim=("system", "user", "assistant", "tool"),
)

LLAMA3_2 = replace(
    LLAMA3,
    name="llama3_2",
    # Llama 3.1+ always opens with a system header carrying the knowledge cut-off.
    system_prefix=(
        "{bos}<|start_header_id|>system<|end_header_id|>\n\n"
        "{tools_header}Cutting Knowledge Date: December 2023\nToday Date: {date_string}\n\n{system}<|eot_id|>"
    ),
    agent_template="llama3",
    default_system="",
    # the published template JSON-encodes a plain-text result and does not trim it
    tool=ToolFormat(item="<|start_header_id|>ipython<|end_header_id|>\n\n{content}<|eot_id|>", json_content=True),
    trim=("system", "user", "assistant"),
    # The published template's own fallback date: renders stay reproducible.
    variables=(("date_string", "26 Jul 2024"),),
)

MISTRAL = TemplateMeta(
    name="mistral",
    prefix="{bos}",
    user="[INST] {content} [/INST]",
    system_in_user="{system}\n\n",
    assistant="{content}{eos}",
)

MISTRAL_V0_1 = replace(MISTRAL, name="mistral_v0_1", turn_sep=" ")
"""Mistral-7B-Instruct-v0.1 as first published: a space after every ``</s>``."""

MISTRAL_V1 = replace(MISTRAL, name="mistral_v1", user=" [INST] {content} [/INST]", assistant=" {content}{eos}")
"""Mistral's "v1" layout (the current Mistral-7B-Instruct-v0.1 revision): ``<s> [INST] … [/INST] A</s>``."""

MISTRAL_NEMO = TemplateMeta(
    name="mistral_nemo",
    prefix="{bos}",
    user="[INST]{content}[/INST]",
    # mistral-common's place for it; Nemo's published Jinja drops it unless the prompt ends with a user turn
    system_in_user="{system}\n\n",
    system_in_last_user=True,
    assistant="{content}{eos}",
    tool=ToolFormat(item='[TOOL_RESULTS]{"content": {content}, "call_id": "{call_id}"}[/TOOL_RESULTS]'),
    agent_template="mistral",
)
"""Mistral's V3-tekken layout (Mistral-Nemo, Ministral, Pixtral): ``[INST]…[/INST]`` without spaces,
the system prompt and the tool list with the last user message, ``[TOOL_CALLS]`` / ``[TOOL_RESULTS]``."""

GEMMA = TemplateMeta(
    name="gemma",
    prefix="{bos}",
    user="<start_of_turn>user\n{content}<end_of_turn>\n",
    system_in_user="{system}\n\n",
    assistant_prefix="<start_of_turn>model\n",
    assistant="{content}<end_of_turn>",
    turn_sep="\n",
    stop_words=("<end_of_turn>",),
    # the system text joins the first user message untrimmed; every message is trimmed
    trim=("user", "assistant"),
)

PHI3 = TemplateMeta(
    name="phi3",
    system_prefix="<|system|>\n{system}<|end|>\n",
    user="<|user|>\n{content}<|end|>\n",
    assistant_prefix="<|assistant|>\n",
    assistant="{content}<|end|>",
    turn_sep="\n",
    end="{eos}",
    stop_words=("<|end|>",),
)

PHI4_MINI = TemplateMeta(
    name="phi4_mini",
    system_prefix="<|system|>{system}<|end|>",
    user="<|user|>{content}<|end|>",
    assistant_prefix="<|assistant|>",
    assistant="{content}<|end|>",
    end="{eos}",
    stop_words=("<|end|>",),
    tool=ToolFormat(item="<|tool|>{content}<|end|>"),
)
"""Phi-4-mini-instruct: Phi-3's tags without newlines (its published template)."""

PHI4 = TemplateMeta(
    name="phi4",
    system_prefix="<|im_start|>system<|im_sep|>{system}<|im_end|>",
    user="<|im_start|>user<|im_sep|>{content}<|im_end|>",
    assistant_prefix="<|im_start|>assistant<|im_sep|>",
    assistant="{content}<|im_end|>",
    stop_words=("<|im_end|>",),
    reply_opens_after_user=True,
)

GLM4 = TemplateMeta(
    name="glm4",
    prefix="[gMASK]<sop>",
    system_prefix="[gMASK]<sop><|system|>\n{system}",
    user="<|user|>\n{content}",
    assistant_prefix="<|assistant|>",
    assistant="\n{content}",
    # GLM-4 ends a reply with the next role token; train it after the last reply.
    suffix="<|user|>",
    tool=ToolFormat(item="<|observation|>\n{content}"),
    agent_template="glm4",
    stop_words=("<|user|>", "<|observation|>"),
)

# GLM-4.5 / 4.6: GLM-4's turns; every reply opens with a think block (empty before the last user
# message), the answer stripped on the next line; tools in the XML-argument format. Like GLM-4,
# nothing ends a reply but the next role token: swift trains <|user|> after the last reply.
GLM4_5 = TemplateMeta(
    name="glm4_5",
    prefix="[gMASK]<sop>",
    system_prefix="[gMASK]<sop><|system|>\n{system}",
    user="<|user|>\n{content}",
    assistant_prefix="<|assistant|>",
    assistant="{content}",
    suffix="<|user|>",
    tool=ToolFormat(open="<|observation|>", item="\n<tool_response>\n{content}\n</tool_response>"),
    agent_template="glm4_5",
    stop_words=("<|user|>", "<|observation|>"),
    thinking=ThinkingFormat(
        last_round="\n<think>{reasoning}</think>{content}",
        every_round=True,
        answer_sep="\n",
        no_thinking_prefix="\n<think></think>",
        no_thinking_user_suffix="/nothink",
    ),
)

DEEPSEEK = TemplateMeta(
    name="deepseek",
    prefix="{bos}",
    system_prefix="{bos}{system}\n\n",
    user="User: {content}\n\n",
    assistant_prefix="Assistant:",
    assistant=" {content}{eos}",
)
"""DeepSeek-LLM chat (v1)."""

DEEPSEEK_V2_5 = TemplateMeta(
    name="deepseek_v2_5",
    prefix="{bos}",
    system_prefix="{bos}{system}",
    user="<｜User｜>{content}",
    assistant_prefix="<｜Assistant｜>",
    assistant="{content}<｜end▁of▁sentence｜>",
    stop_words=("<｜end▁of▁sentence｜>",),
)

DEEPSEEK_R1 = replace(
    DEEPSEEK_V2_5,
    name="deepseek_r1",
    thinking=ThinkingFormat(generation_prefix="<think>\n"),
    # calls in the deepseek format; results between <｜tool▁outputs▁begin｜> and
    # <｜tool▁outputs▁end｜>, after which the answer follows without <｜Assistant｜>
    tool=ToolFormat(open="<｜tool▁outputs▁begin｜>", item="<｜tool▁output▁begin｜>{content}<｜tool▁output▁end｜>"),
    assistant_prefix_after_tool="<｜tool▁outputs▁end｜>",
    agent_template="deepseek",
)
