"""The model types swift-transformers provides: a table of records, nothing imported.

Each record groups checkpoints that share an architecture, a loader and a default
chat template. Detection (:mod:`swift_transformers.models.detect`) matches a
checkpoint's ``config.json`` against ``architectures`` and ``config_model_types``
and its hub id against ``model_ids``; when several records share an architecture
(Qwen2 and Qwen2.5, Llama 2 and Llama 3 …) the hub id decides.

``model_ids`` are Hugging Face ids; a trailing ``*`` matches a prefix. Matching
compares the part after the owner, case-insensitively, so ModelScope mirrors
(``LLM-Research/Meta-Llama-3-8B-Instruct``) and local folders named after the
checkpoint (``/models/Qwen2.5-7B-Instruct``) are recognised as well.
"""

from __future__ import annotations

from swift.kernel import ModelRecord

CAUSAL_LM_LOADER = "swift_transformers.models.loading:load_causal_lm"

#: Used when nothing in the registry matches a checkpoint (and by ``--model_type causal_lm``).
GENERIC_MODEL_TYPE = "causal_lm"


def _causal_lm(
    name: str,
    template: str,
    summary: str,
    architectures: tuple[str, ...],
    config_model_types: tuple[str, ...],
    model_ids: tuple[str, ...],
    **extra,
) -> ModelRecord:
    return ModelRecord(
        name=name,
        load=CAUSAL_LM_LOADER,
        summary=summary,
        template=template,
        architectures=architectures,
        config_model_types=config_model_types,
        model_ids=model_ids,
        **extra,
    )


_QWEN2 = ("Qwen2ForCausalLM",)
_LLAMA = ("LlamaForCausalLM",)

MODEL_RECORDS: tuple[ModelRecord, ...] = (
    # Qwen
    _causal_lm(
        "qwen",
        "qwen",
        "Qwen (1.0) chat models, remote code",
        ("QWenLMHeadModel",),
        ("qwen",),
        ("Qwen/Qwen-1_8B*", "Qwen/Qwen-7B*", "Qwen/Qwen-14B*", "Qwen/Qwen-72B*"),
        requires=("tiktoken",),
    ),
    _causal_lm(
        "qwen2",
        "qwen",
        "Qwen1.5 and Qwen2 dense models",
        _QWEN2,
        ("qwen2",),
        ("Qwen/Qwen1.5-*", "Qwen/CodeQwen1.5-*", "Qwen/Qwen2-*"),
    ),
    _causal_lm(
        "qwen2_moe",
        "qwen",
        "Qwen1.5-MoE and Qwen2-MoE",
        ("Qwen2MoeForCausalLM",),
        ("qwen2_moe",),
        ("Qwen/Qwen1.5-MoE-*", "Qwen/Qwen2-57B-A14B*"),
        tags=("moe",),
    ),
    _causal_lm(
        "qwen2_5",
        "qwen2_5",
        "Qwen2.5 and Qwen2.5-Coder",
        _QWEN2,
        ("qwen2",),
        ("Qwen/Qwen2.5-*",),
    ),
    _causal_lm(
        "qwen3",
        "qwen3",
        "Qwen3 dense models (thinking and non-thinking)",
        ("Qwen3ForCausalLM",),
        ("qwen3",),
        ("Qwen/Qwen3-*",),
    ),
    _causal_lm(
        "qwen3_moe",
        "qwen3",
        "Qwen3 mixture-of-experts models",
        ("Qwen3MoeForCausalLM",),
        ("qwen3_moe",),
        ("Qwen/Qwen3-30B-A3B*", "Qwen/Qwen3-235B-A22B*"),
        tags=("moe",),
    ),
    # Llama
    _causal_lm(
        "llama",
        "llama",
        "Llama 2 base and chat",
        _LLAMA,
        ("llama",),
        ("meta-llama/Llama-2-*",),
    ),
    _causal_lm(
        "llama3",
        "llama3",
        "Llama 3",
        _LLAMA,
        ("llama",),
        ("meta-llama/Meta-Llama-3-*",),
    ),
    _causal_lm(
        "llama3_1",
        "llama3_2",
        "Llama 3.1 and Llama 3.3",
        _LLAMA,
        ("llama",),
        ("meta-llama/Meta-Llama-3.1-*", "meta-llama/Llama-3.1-*", "meta-llama/Llama-3.3-*"),
    ),
    _causal_lm(
        "llama3_2",
        "llama3_2",
        "Llama 3.2 text models (1B, 3B)",
        _LLAMA,
        ("llama",),
        ("meta-llama/Llama-3.2-1B*", "meta-llama/Llama-3.2-3B*"),
    ),
    # Mistral
    _causal_lm(
        "mistral",
        "mistral",
        "Mistral and Mistral-Nemo",
        ("MistralForCausalLM",),
        ("mistral",),
        ("mistralai/Mistral-7B-*", "mistralai/Mistral-Nemo-*", "mistralai/Mistral-Small-Instruct-2409"),
    ),
    _causal_lm(
        "mixtral",
        "mistral",
        "Mixtral mixture-of-experts models",
        ("MixtralForCausalLM",),
        ("mixtral",),
        ("mistralai/Mixtral-8x*",),
        tags=("moe",),
    ),
    # Gemma
    _causal_lm(
        "gemma",
        "gemma",
        "Gemma (1.0, 1.1)",
        ("GemmaForCausalLM",),
        ("gemma",),
        ("google/gemma-2b*", "google/gemma-7b*", "google/gemma-1.1-*"),
    ),
    _causal_lm(
        "gemma2",
        "gemma",
        "Gemma 2",
        ("Gemma2ForCausalLM",),
        ("gemma2",),
        ("google/gemma-2-*",),
    ),
    _causal_lm(
        "gemma3_text",
        "gemma",
        "Gemma 3 text-only models (1B)",
        ("Gemma3ForCausalLM",),
        ("gemma3_text",),
        ("google/gemma-3-1b-*",),
    ),
    # Phi
    _causal_lm(
        "phi3",
        "phi3",
        "Phi-3 and Phi-3.5 mini/small/medium",
        ("Phi3ForCausalLM",),
        ("phi3",),
        ("microsoft/Phi-3-*", "microsoft/Phi-3.5-mini-*"),
    ),
    _causal_lm(
        "phi4",
        "phi4",
        "Phi-4 and Phi-4-reasoning",
        ("Phi3ForCausalLM",),
        ("phi3",),
        ("microsoft/phi-4", "microsoft/Phi-4-reasoning*"),
    ),
    _causal_lm(
        "phi4_mini",
        "phi4_mini",
        "Phi-4-mini (Phi-3 architecture, its own chat format)",
        ("Phi3ForCausalLM",),
        ("phi3",),
        ("microsoft/Phi-4-mini-*",),
    ),
    # GLM, InternLM, Yi
    _causal_lm(
        "glm4",
        "glm4",
        "GLM-4 9B chat (remote code and -hf) and GLM-4-0414",
        ("ChatGLMModel", "ChatGLMForConditionalGeneration", "GlmForCausalLM", "Glm4ForCausalLM"),
        ("chatglm", "glm", "glm4"),
        ("THUDM/glm-4-*", "THUDM/GLM-4-*"),
    ),
    _causal_lm(
        "glm4_moe",
        "glm4_5",
        "GLM-4.5, GLM-4.5-Air and GLM-4.6 (MoE, hybrid reasoning)",
        ("Glm4MoeForCausalLM",),
        ("glm4_moe",),
        ("zai-org/GLM-4.5*", "zai-org/GLM-4.6*", "THUDM/GLM-4.5*"),
        tags=("moe", "reasoning"),
    ),
    _causal_lm(
        "internlm2",
        "internlm2",
        "InternLM2 and InternLM2.5, remote code",
        ("InternLM2ForCausalLM",),
        ("internlm2",),
        ("internlm/internlm2-*", "internlm/internlm2_5-*"),
    ),
    _causal_lm(
        "internlm3",
        "internlm3",
        "InternLM3, remote code",
        ("InternLM3ForCausalLM",),
        ("internlm3",),
        ("internlm/internlm3-*",),
    ),
    _causal_lm(
        "yi",
        "yi",
        "Yi and Yi-1.5",
        _LLAMA,
        ("llama",),
        ("01-ai/Yi-*",),
    ),
    # DeepSeek
    _causal_lm(
        "deepseek",
        "deepseek",
        "DeepSeek LLM 7B/67B (dense)",
        _LLAMA,
        ("llama",),
        ("deepseek-ai/deepseek-llm-*",),
    ),
    _causal_lm(
        "deepseek_v2_5",
        "deepseek_v2_5",
        "DeepSeek-V2.5 and DeepSeek-V2-Chat-0628",
        ("DeepseekV2ForCausalLM",),
        ("deepseek_v2",),
        ("deepseek-ai/DeepSeek-V2.5*", "deepseek-ai/DeepSeek-V2-Chat-0628"),
        tags=("moe",),
    ),
    _causal_lm(
        "deepseek_v3",
        "deepseek_v2_5",
        "DeepSeek-V3",
        ("DeepseekV3ForCausalLM",),
        ("deepseek_v3",),
        ("deepseek-ai/DeepSeek-V3*",),
        tags=("moe",),
    ),
    _causal_lm(
        "deepseek_r1",
        "deepseek_r1",
        "DeepSeek-R1 (the full mixture-of-experts model)",
        ("DeepseekV3ForCausalLM",),
        ("deepseek_v3",),
        ("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1-Zero", "deepseek-ai/DeepSeek-R1-0528"),
        tags=("moe", "reasoning"),
    ),
    _causal_lm(
        "deepseek_r1_distill",
        "deepseek_r1",
        "DeepSeek-R1 distilled into Qwen and Llama",
        (*_QWEN2, *_LLAMA, "Qwen3ForCausalLM"),
        ("qwen2", "llama", "qwen3"),
        ("deepseek-ai/DeepSeek-R1-Distill-*", "deepseek-ai/DeepSeek-R1-0528-Qwen3-*"),
        tags=("reasoning",),
    ),
    # Families newer than swift's own templates: their checkpoints' chat templates are the
    # template ("chat_template": jinja backend, masks from rendered prefixes, end tokens from
    # generation_config.json; see docs/templates.md). Detection only needs the architecture.
    *(
        _causal_lm(name, "chat_template", summary, (arch,), (config_type,), ids, tags=tags)
        for name, summary, arch, config_type, ids, tags in (
            ("qwen3_5", "Qwen3.5 dense (text)", "Qwen3_5ForCausalLM", "qwen3_5", ("Qwen/Qwen3.5-*",), ("reasoning",)),
            (
                "qwen3_5_moe",
                "Qwen3.5 MoE (text)",
                "Qwen3_5MoeForCausalLM",
                "qwen3_5_moe",
                ("Qwen/Qwen3.5-*A*",),
                ("moe", "reasoning"),
            ),
            (
                "qwen3_next",
                "Qwen3-Next (hybrid attention, MoE)",
                "Qwen3NextForCausalLM",
                "qwen3_next",
                ("Qwen/Qwen3-Next-*",),
                ("moe", "reasoning"),
            ),
            ("llama4_text", "Llama 4 (text)", "Llama4ForCausalLM", "llama4_text", ("meta-llama/Llama-4-*",), ("moe",)),
            (
                "gpt_oss",
                "gpt-oss (harmony format)",
                "GptOssForCausalLM",
                "gpt_oss",
                ("openai/gpt-oss-*",),
                ("moe", "reasoning"),
            ),
            (
                "deepseek_v3_2",
                "DeepSeek-V3.2",
                "DeepseekV32ForCausalLM",
                "deepseek_v32",
                ("deepseek-ai/DeepSeek-V3.2*",),
                ("moe", "reasoning"),
            ),
            (
                "kimi_linear",
                "Kimi Linear",
                "KimiLinearForCausalLM",
                "kimi_linear",
                ("moonshotai/Kimi-Linear-*",),
                ("moe",),
            ),
            (
                "minimax_m2",
                "MiniMax-M2",
                "MiniMaxM2ForCausalLM",
                "minimax_m2",
                ("MiniMaxAI/MiniMax-M2*",),
                ("moe", "reasoning"),
            ),
            ("ministral3", "Ministral 3", "Ministral3ForCausalLM", "ministral3", ("mistralai/Ministral-3-*",), ()),
            ("smollm3", "SmolLM3", "SmolLM3ForCausalLM", "smollm3", ("HuggingFaceTB/SmolLM3-*",), ("reasoning",)),
            ("olmo2", "OLMo 2", "Olmo2ForCausalLM", "olmo2", ("allenai/OLMo-2-*",), ()),
            ("olmo3", "Olmo 3", "Olmo3ForCausalLM", "olmo3", ("allenai/Olmo-3-*",), ("reasoning",)),
            ("granite", "Granite 3.x", "GraniteForCausalLM", "granite", ("ibm-granite/granite-3*",), ()),
            (
                "granite4",
                "Granite 4 (hybrid Mamba)",
                "GraniteMoeHybridForCausalLM",
                "granitemoehybrid",
                ("ibm-granite/granite-4*",),
                ("moe",),
            ),
            ("ernie4_5", "ERNIE 4.5 dense", "Ernie4_5ForCausalLM", "ernie4_5", ("baidu/ERNIE-4.5-0.3B*",), ()),
            (
                "ernie4_5_moe",
                "ERNIE 4.5 MoE",
                "Ernie4_5_MoeForCausalLM",
                "ernie4_5_moe",
                ("baidu/ERNIE-4.5-*A*",),
                ("moe",),
            ),
            (
                "hunyuan_dense",
                "Hunyuan dense",
                "HunYuanDenseV1ForCausalLM",
                "hunyuan_v1_dense",
                ("tencent/Hunyuan-*",),
                ("reasoning",),
            ),
            (
                "hunyuan_moe",
                "Hunyuan MoE",
                "HunYuanMoEV1ForCausalLM",
                "hunyuan_v1_moe",
                ("tencent/Hunyuan-A13B*",),
                ("moe", "reasoning"),
            ),
            ("seed_oss", "Seed-OSS", "SeedOssForCausalLM", "seed_oss", ("ByteDance-Seed/Seed-OSS-*",), ("reasoning",)),
            ("exaone4", "EXAONE 4.0", "Exaone4ForCausalLM", "exaone4", ("LGAI-EXAONE/EXAONE-4.0-*",), ("reasoning",)),
            # the text model; multimodal Gemma 4 checkpoints (gemma4) wait for the vision-language types
            (
                "gemma4_text",
                "Gemma 4 (text)",
                "Gemma4ForCausalLM",
                "gemma4_text",
                ("google/gemma-4-*",),
                ("reasoning",),
            ),
        )
    ),
    # Mistral Small 3 (V7-tekken, [SYSTEM_PROMPT]) shares Mistral's architecture: the id decides
    _causal_lm(
        "mistral_small3",
        "chat_template",
        "Mistral Small 3.x text models (V7-tekken format)",
        ("MistralForCausalLM",),
        ("mistral",),
        ("mistralai/Mistral-Small-24B-*", "mistralai/Mistral-Small-3*"),
    ),
    # Anything else AutoModelForCausalLM can load; never auto-detected.
    _causal_lm(
        GENERIC_MODEL_TYPE,
        "chat_template",
        "Any AutoModelForCausalLM checkpoint, with its own chat template (or --template)",
        (),
        (),
        (),
    ),
)
