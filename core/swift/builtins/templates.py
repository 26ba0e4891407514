"""The built-in chat templates (``--template``), one record per family.

Records name their :class:`swift.template.TemplateMeta` by import string, so
listing them imports nothing; any plugin registering the same name overrides one.
"""

from __future__ import annotations

from swift.kernel import AgentTemplateRecord, TemplateRecord, hookimpl

_LIB = "swift.template.library:"
# Every built-in family template is checked token for token against its published Jinja
# chat template (tests/template/test_published_templates.py); ``default`` has none.
_PUBLISHED = "published Jinja template"

# (name, attribute in swift.template.library, aliases, summary)
_TEMPLATES = (
    ("default", "DEFAULT", (), "Generic fallback: '### Human:' / '### Assistant:' turns."),
    ("chatml", "CHATML", (), "ChatML (<|im_start|>role ... <|im_end|>), no default system."),
    ("qwen", "QWEN", ("qwen2",), "Qwen / Qwen2 chat: ChatML with 'You are a helpful assistant.'"),
    ("qwen2_5", "QWEN2_5", (), "Qwen2.5: ChatML, Qwen default system, tool calls."),
    ("qwen3", "QWEN3", (), "Qwen3: ChatML with <think> reasoning (enable_thinking), tool calls."),
    ("llama", "LLAMA", ("llama2",), "Llama-2 chat: [INST] ... [/INST] with <<SYS>> system."),
    ("llama3", "LLAMA3", (), "Llama 3 instruct: header tokens and <|eot_id|>."),
    (
        "llama3_2",
        "LLAMA3_2",
        ("llama3_1", "llama3_3"),
        "Llama 3.1/3.2/3.3: Llama 3 with the 'Cutting Knowledge Date' system preamble.",
    ),
    (
        "mistral",
        "MISTRAL",
        (),
        "Mistral instruct v0.2 / Mixtral-8x7B: [INST] ... [/INST], system folded into the first turn.",
    ),
    (
        "gemma",
        "GEMMA",
        ("gemma2", "gemma3_text"),
        "Gemma 2/3 text: <start_of_turn>user/model, no system turn.",
    ),
    ("phi3", "PHI3", (), "Phi-3 / Phi-3.5: <|user|> ... <|end|>."),
    ("phi4", "PHI4", (), "Phi-4 and Phi-4-reasoning: ChatML with <|im_sep|>."),
    ("phi4_mini", "PHI4_MINI", (), "Phi-4-mini: <|user|>...<|end|><|assistant|> without newlines."),
    ("glm4", "GLM4", (), "GLM-4 chat: [gMASK]<sop><|user|> ... <|assistant|>."),
    (
        "glm4_5",
        "GLM4_5",
        ("glm4_6",),
        "GLM-4.5 / 4.6 (MoE): GLM-4 turns, a think block in every reply, XML tool calls.",
    ),
    ("internlm2", "INTERNLM2", (), "InternLM2 chat: BOS + ChatML."),
    ("internlm3", "INTERNLM3", (), "InternLM3 instruct: BOS + ChatML."),
    ("yi", "YI", (), "Yi chat as published: bare system prompt, ChatML turns."),
    ("deepseek", "DEEPSEEK", (), "DeepSeek-LLM chat (v1): 'User: ... Assistant:'."),
    ("deepseek_v2_5", "DEEPSEEK_V2_5", (), "DeepSeek-V2.5 / V3: <｜User｜> ... <｜Assistant｜>."),
    (
        "deepseek_r1",
        "DEEPSEEK_R1",
        (),
        "DeepSeek-R1 and distills: V2.5 layout with <think> reasoning.",
    ),
)


# Published revisions of a family, chosen for a model of that family by its own chat template.
_REVISIONS = (
    TemplateRecord(
        name="mistral_v0_1",
        load=_LIB + "MISTRAL_V0_1",
        summary="Mistral-7B-Instruct-v0.1 as first published: a space after every </s>.",
        parity=_PUBLISHED,
        revision_of="mistral",
        marker="message['content'] + eos_token + ' '",
    ),
    TemplateRecord(
        name="mistral_nemo",
        load=_LIB + "MISTRAL_NEMO",
        summary="Mistral V3-tekken (Nemo, Ministral, Pixtral): [INST]...[/INST], system and tools with the last turn.",
        parity=_PUBLISHED,
        revision_of="mistral",
        marker="[AVAILABLE_TOOLS][",
    ),
    TemplateRecord(
        name="mistral_v1",
        load=_LIB + "MISTRAL_V1",
        summary="Mistral 'v1' layout (current v0.1 revision): <s> [INST] ... [/INST] A</s>.",
        parity=_PUBLISHED,
        revision_of="mistral",
        marker="' ' + message['content'] + eos_token",
    ),
)


@hookimpl
def swift_register_templates():
    for name, attr, aliases, summary in _TEMPLATES:
        parity = "" if name == "default" else _PUBLISHED
        yield TemplateRecord(name=name, load=_LIB + attr, summary=summary, aliases=aliases, parity=parity)
    yield from _REVISIONS
    yield TemplateRecord(
        name="chat_template",
        load=_LIB + "CHAT_TEMPLATE",
        summary="The checkpoint's own chat template (jinja backend, masks from rendered prefixes): unknown families.",
        parity="the checkpoint's own (masks checked against every family)",
    )


_AGENT = "swift.template.agent:"
_AGENT_GLM = "swift.template.agent_glm:"
AGENT_TEMPLATES = (
    AgentTemplateRecord(
        name="hermes",
        load=_AGENT + "Hermes",
        summary="Hermes / Qwen 2.5-3 native: <tools> in the system prompt, <tool_call>{json}</tool_call>.",
    ),
    AgentTemplateRecord(
        name="react_en",
        load=_AGENT + "ReactEn",
        summary="ReAct: Thought / Action / Action Input / Observation / Final Answer, English instructions.",
    ),
    AgentTemplateRecord(name="react_zh", load=_AGENT + "ReactZh", summary="ReAct with Chinese instructions."),
    AgentTemplateRecord(
        name="toolbench",
        load=_AGENT + "ToolBench",
        summary="ToolBench: functions as JSON, Action / Action Input calls, results in the tool turn.",
    ),
    AgentTemplateRecord(
        name="qwen",
        load=_AGENT + "QwenAgent",
        summary="Qwen-Agent: ✿FUNCTION✿ / ✿ARGS✿ / ✿RESULT✿ / ✿RETURN✿.",
        aliases=("qwen_en",),
    ),
    AgentTemplateRecord(
        name="llama3",
        load=_AGENT + "Llama3Json",
        summary="Llama 3.1-3.3 native: tools as JSON before the first user message, a call as one JSON object.",
    ),
    AgentTemplateRecord(
        name="deepseek",
        load=_AGENT + "DeepSeek",
        summary="DeepSeek V3/R1 native: <｜tool▁calls▁begin｜> calls with json blocks; no tool list (as published).",
    ),
    AgentTemplateRecord(
        name="mistral",
        load=_AGENT + "Mistral",
        summary="Mistral native: [AVAILABLE_TOOLS] before the last user turn, [TOOL_CALLS] / [TOOL_RESULTS] with ids.",
    ),
    AgentTemplateRecord(
        name="glm4", load=_AGENT_GLM + "Glm4", summary="GLM-4 native: tools under '# 可用工具', calls as name + JSON."
    ),
    AgentTemplateRecord(
        name="glm4_5",
        load=_AGENT_GLM + "Glm45",
        summary="GLM-4.5 / 4.6 native: <tools> JSON list, <tool_call>name + <arg_key>/<arg_value> pairs.",
    ),
)


@hookimpl
def swift_register_agent_templates():
    yield from AGENT_TEMPLATES
