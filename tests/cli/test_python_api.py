"""swift.llm: the ms-swift Python API routes through the same code as the CLI."""

import pytest

import swift.llm as llm
from swift.kernel import TrainerRecord, hookimpl
from swift_sdk.kernel import installed_plugin_names

# Only the builtins and the trainer plugins defined here: no installed trainer may answer.
INSTALLED = installed_plugin_names()

SEEN = []


def fake_sft(args):
    SEEN.append(args)
    return {"model": args.model, "lora_rank": args.lora_rank, "class": type(args).__name__}


class TrainerPlugin:
    @hookimpl
    def swift_register_trainers(self):
        yield TrainerRecord(name="sft", load=f"{__name__}:fake_sft", command="sft")


@pytest.fixture
def kernel_with_trainer(make_kernel):
    kernel = make_kernel(strict=True, disabled=INSTALLED)
    kernel.register(TrainerPlugin(), "test-trainer")
    SEEN.clear()
    return kernel


def test_sft_main_accepts_a_dataclass(kernel_with_trainer):
    result = llm.sft_main(llm.TrainArguments(model="some/model", dataset=["d.jsonl"], lora_rank=4))
    assert result == {"model": "some/model", "lora_rank": 4, "class": "TrainArguments"}


def test_sft_main_accepts_an_argv_list(kernel_with_trainer):
    result = llm.sft_main(["--model", "other/model", "--dataset", "d.jsonl", "--lora_rank", "16"])
    assert result["model"] == "other/model" and result["lora_rank"] == 16


def test_sft_arguments_alias_is_train_arguments():
    assert llm.SftArguments is llm.TrainArguments


def test_rlhf_type_selects_the_trainer(make_kernel):
    kernel = make_kernel(strict=True, disabled=INSTALLED)

    class Dpo:
        @hookimpl
        def swift_register_trainers(self):
            yield TrainerRecord(name="dpo", load=f"{__name__}:fake_sft", command="rlhf")

    kernel.register(Dpo(), "dpo-plugin")
    result = llm.rlhf_main(llm.RLHFArguments(model="m", dataset=["d"], rlhf_type="dpo"))
    assert result["class"] == "RLHFArguments"
    assert SEEN[-1].beta == 0.1


def test_every_ms_swift_entry_point_exists():
    for name in (
        "sft_main",
        "pt_main",
        "rlhf_main",
        "infer_main",
        "deploy_main",
        "export_main",
        "eval_main",
        "sampling_main",
        "app_main",
        "merge_lora",
        "rollout_main",
    ):
        assert callable(getattr(llm, name))


def test_a_plugin_trainer_is_chosen_by_rlhf_type_from_the_command_line(make_kernel):
    kernel = make_kernel(strict=True, disabled=INSTALLED)

    class Ipo:
        @hookimpl
        def swift_register_trainers(self):
            yield TrainerRecord(name="my_ipo", load=f"{__name__}:fake_sft", command="rlhf")

    kernel.register(Ipo(), "ipo-plugin")
    result = llm.rlhf_main(["--model", "m", "--dataset", "d", "--rlhf_type", "my_ipo"])
    assert result["class"] == "RLHFArguments" and SEEN[-1].rlhf_type == "my_ipo"
