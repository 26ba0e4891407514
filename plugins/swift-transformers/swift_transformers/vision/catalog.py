"""The vision-language model types and their templates: records only, nothing imported."""

from __future__ import annotations

from swift.kernel import ModelRecord, TemplateRecord

VISION_LOADER = "swift_transformers.vision.loading:load_vision_lm"
#: The tag that marks a vision-language model type (``swift models``, the checks of --max_pixels).
VISION_TAG = "vision"

VISION_MODEL_RECORDS: tuple[ModelRecord, ...] = (
    # used for a checkpoint with a vision_config that no record matches (swift.services.detect)
    ModelRecord(
        name="vision_lm",
        load=VISION_LOADER,
        summary="any vision-language checkpoint: its own chat template and processor class",
        template="vision_auto",
        tags=(VISION_TAG,),
    ),
    ModelRecord(
        name="qwen2_vl",
        load=VISION_LOADER,
        summary="Qwen2-VL (images)",
        template="qwen2_vl",
        architectures=("Qwen2VLForConditionalGeneration",),
        config_model_types=("qwen2_vl",),
        model_ids=("Qwen/Qwen2-VL-*", "Qwen/QVQ-*"),
        tags=(VISION_TAG,),
    ),
    ModelRecord(
        name="qwen2_5_vl",
        load=VISION_LOADER,
        summary="Qwen2.5-VL (images)",
        template="qwen2_vl",
        architectures=("Qwen2_5_VLForConditionalGeneration",),
        config_model_types=("qwen2_5_vl",),
        model_ids=("Qwen/Qwen2.5-VL-*",),
        tags=(VISION_TAG,),
    ),
    ModelRecord(
        name="qwen3_vl",
        load=VISION_LOADER,
        summary="Qwen3-VL dense (images)",
        template="qwen3_vl",
        architectures=("Qwen3VLForConditionalGeneration",),
        config_model_types=("qwen3_vl",),
        model_ids=("Qwen/Qwen3-VL-*",),
        tags=(VISION_TAG,),
    ),
    ModelRecord(
        name="qwen3_vl_moe",
        load=VISION_LOADER,
        summary="Qwen3-VL MoE (images)",
        template="qwen3_vl",
        architectures=("Qwen3VLMoeForConditionalGeneration",),
        config_model_types=("qwen3_vl_moe",),
        model_ids=("Qwen/Qwen3-VL-*-A*",),
        tags=(VISION_TAG, "moe"),
    ),
    # Qwen3.5 checkpoints are vision-language models; their text-only form keeps the qwen3_5 record.
    # Matched by architecture only, so a text checkpoint of the same model_type stays a text model.
    ModelRecord(
        name="qwen3_5_vl",
        load=VISION_LOADER,
        summary="Qwen3.5 dense with its vision input (images)",
        template="qwen3_vl",
        architectures=("Qwen3_5ForConditionalGeneration",),
        model_ids=("Qwen/Qwen3.5-*",),
        tags=(VISION_TAG, "reasoning"),
    ),
    ModelRecord(
        name="qwen3_5_moe_vl",
        load=VISION_LOADER,
        summary="Qwen3.5 MoE with its vision input (images)",
        template="qwen3_vl",
        architectures=("Qwen3_5MoeForConditionalGeneration",),
        model_ids=("Qwen/Qwen3.5-*A*",),
        tags=(VISION_TAG, "moe", "reasoning"),
    ),
    ModelRecord(
        name="gemma3",
        load=VISION_LOADER,
        summary="Gemma 3 4B/12B/27B (images)",
        template="gemma3",
        architectures=("Gemma3ForConditionalGeneration",),
        config_model_types=("gemma3",),
        model_ids=("google/gemma-3-4b*", "google/gemma-3-12b*", "google/gemma-3-27b*"),
        tags=(VISION_TAG,),
    ),
    ModelRecord(
        name="glm4v",
        load=VISION_LOADER,
        summary="GLM-4.1V (images)",
        template="glm4v",
        architectures=("Glm4vForConditionalGeneration",),
        config_model_types=("glm4v",),
        model_ids=("zai-org/GLM-4.1V-*", "THUDM/GLM-4.1V-*"),
        tags=(VISION_TAG, "reasoning"),
    ),
    ModelRecord(
        name="internvl",
        load=VISION_LOADER,
        summary="InternVL 3 / 3.5 in transformers' format (-hf checkpoints; images)",
        template="internvl",
        architectures=("InternVLForConditionalGeneration",),
        config_model_types=("internvl",),
        model_ids=("OpenGVLab/InternVL3-*-hf", "OpenGVLab/InternVL3_5-*-HF"),
        tags=(VISION_TAG,),
    ),
    ModelRecord(
        name="gemma4",
        load=VISION_LOADER,
        summary="Gemma 4 (images)",
        template="gemma4",
        architectures=("Gemma4ForConditionalGeneration",),
        config_model_types=("gemma4",),
        model_ids=("google/gemma-4-*",),
        tags=(VISION_TAG, "reasoning"),
    ),
    ModelRecord(
        name="llava",
        load=VISION_LOADER,
        summary="LLaVA 1.5 in transformers' format (llava-hf; images)",
        template="llava",
        architectures=("LlavaForConditionalGeneration",),
        config_model_types=("llava",),
        model_ids=("llava-hf/llava-1.5-*", "llava-hf/bakLlava-*"),
        tags=(VISION_TAG,),
    ),
    ModelRecord(
        name="llava_next",
        load=VISION_LOADER,
        summary="LLaVA-NeXT (llava-hf v1.6; any-resolution tiles; images), through its processor class",
        template="vision_auto",
        architectures=("LlavaNextForConditionalGeneration",),
        config_model_types=("llava_next",),
        model_ids=("llava-hf/llava-v1.6-*",),
        tags=(VISION_TAG,),
    ),
    ModelRecord(
        name="idefics3",
        load=VISION_LOADER,
        summary="Idefics3 (tiles with row/column tags and a global view; images), through its processor class",
        template="vision_auto",
        architectures=("Idefics3ForConditionalGeneration",),
        config_model_types=("idefics3",),
        model_ids=("HuggingFaceM4/Idefics3-*",),
        tags=(VISION_TAG,),
    ),
)

VISION_TEMPLATE_RECORDS: tuple[TemplateRecord, ...] = (
    TemplateRecord(
        name="vision_auto",
        load="swift_transformers.vision.template:auto",
        summary="the checkpoint's own chat template, images expanded by its own processor class",
        parity="the checkpoint's own chat template + processor class (checked on LLaVA-NeXT)",
    ),
    TemplateRecord(
        name="qwen2_vl",
        load="swift_transformers.vision.template:qwen2_vl",
        summary="Qwen2-VL / Qwen2.5-VL: ChatML, <|vision_start|><|image_pad|>…<|vision_end|> per image",
        parity="the published Jinja template + image processor",
    ),
    TemplateRecord(
        name="qwen3_vl",
        load="swift_transformers.vision.template:qwen3_vl",
        summary="Qwen3-VL: the checkpoint's own chat template, <|vision_start|><|image_pad|>…<|vision_end|> per image",
        parity="the checkpoint's own chat template + image processor",
    ),
    TemplateRecord(
        name="gemma3",
        load="swift_transformers.vision.template:gemma3",
        summary="Gemma 3: <start_of_turn> turns, <start_of_image> + soft tokens per image",
        stop_words=("<end_of_turn>",),
        parity="the published Jinja template + image processor",
    ),
    TemplateRecord(
        name="glm4v",
        load="swift_transformers.vision.template:glm4v",
        summary="GLM-4.1V: GLM-4's turns (the trained <|user|> after the last reply), <|begin_of_image|> images",
        stop_words=("<|user|>", "<|observation|>"),
        parity="GLM-4's published template + image processor (Glm4vProcessor)",
    ),
    TemplateRecord(
        name="internvl",
        load="swift_transformers.vision.template:internvl",
        summary="InternVL (-hf): ChatML, <img><IMG_CONTEXT>…</img> per tile of each image",
        parity="the published -hf chat template + image processor (InternVLProcessor)",
    ),
    TemplateRecord(
        name="gemma4",
        load="swift_transformers.vision.template:gemma4",
        summary="Gemma 4: the checkpoint's own chat template, begin/end image tokens around each image's soft tokens",
        parity="the checkpoint's own chat template + image processor (Gemma4Processor)",
    ),
    TemplateRecord(
        name="llava",
        load="swift_transformers.vision.template:llava",
        summary="LLaVA 1.5 (llava-hf): the checkpoint's own chat template, <image> per patch feature",
        parity="the checkpoint's own chat template + image processor (LlavaProcessor)",
    ),
)
