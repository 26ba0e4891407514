"""Every vLLM flag of the argument reference reaches vLLM's ``AsyncEngineArgs``."""

from __future__ import annotations

# flag → (a value other than the default, the AsyncEngineArgs field it must set)
FLAGS = {
    "gpu_memory_utilization": (0.42, "gpu_memory_utilization"),
    "tensor_parallel_size": (2, "tensor_parallel_size"),
    "pipeline_parallel_size": (2, "pipeline_parallel_size"),
    "max_num_seqs": (17, "max_num_seqs"),
    "max_model_len": (333, "max_model_len"),
    "disable_custom_all_reduce": (False, "disable_custom_all_reduce"),
    "enforce_eager": (True, "enforce_eager"),
    "limit_mm_per_prompt": ({"image": 3}, "limit_mm_per_prompt"),
    "vllm_max_lora_rank": (32, "max_lora_rank"),
}


def test_every_vllm_flag_of_the_reference_reaches_the_engine(model_dir, make_args):
    from swift_vllm.engine_args import engine_args

    flags = {flag: value for flag, (value, _) in FLAGS.items()}
    built = engine_args(make_args(model_dir, "infer", **flags), model_dir, enable_lora=True, max_loras=1)
    default = engine_args(make_args(model_dir, "infer", enforce_eager=False), model_dir, enable_lora=True, max_loras=1)
    for flag, (value, field) in FLAGS.items():
        assert getattr(built, field) == value, f"--{flag} did not reach AsyncEngineArgs.{field}"
        assert getattr(default, field) != value, f"--{flag}: the default already is {value!r}"


def test_max_pixels_reaches_the_models_processor_in_vllm(model_dir, make_args):
    from swift_vllm.engine_args import engine_args

    built = engine_args(make_args(model_dir, "infer", max_pixels=200_704), model_dir, enable_lora=False, max_loras=1)
    default = engine_args(make_args(model_dir, "infer"), model_dir, enable_lora=False, max_loras=1)

    assert built.mm_processor_kwargs == {"max_pixels": 200_704}
    assert not default.mm_processor_kwargs
