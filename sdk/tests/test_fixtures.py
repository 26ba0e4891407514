"""The swift-sdk fixtures behave as documented for plugin authors."""

import sys

from swift.kernel import get_kernel

HOOKS = """
from swift.kernel import hookimpl, SchedulerRecord

@hookimpl
def swift_register_schedulers():
    yield SchedulerRecord(name="sdk_sched", load="sdk_hooks:Sched")

class Sched:
    pass
"""


def test_fake_dist_is_discovered_and_cleaned_up(fake_dist, swift_kernel):
    root = fake_dist(
        "swift-sdk-demo",
        "3.0",
        entry_points={"swift.schedulers": {"demo": "sdk_hooks"}},
        modules={"sdk_hooks.py": HOOKS},
    )
    assert str(root) in sys.path
    record = swift_kernel.registry("schedulers").get("sdk_sched")
    assert record.provider.distribution == "swift-sdk-demo" and record.provider.version == "3.0"


def test_fake_distribution_is_undone_on_exit(tmp_path):
    from swift_sdk.kernel import fake_distribution

    with fake_distribution(tmp_path, "swift-undo", modules={"undo_mod.py": "VALUE = 7"}):
        import undo_mod

        assert undo_mod.VALUE == 7
    assert "undo_mod" not in sys.modules
    assert str(tmp_path) not in sys.path


def test_swift_kernel_is_the_process_wide_kernel_and_strict(swift_kernel):
    assert get_kernel() is swift_kernel
    assert swift_kernel.strict is True


def test_make_kernel_builds_a_non_strict_kernel(make_kernel):
    kernel = make_kernel(strict=False)
    assert kernel.strict is False and get_kernel() is kernel


def test_tiny_model_loads_through_transformers(tiny_model_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_path)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
    ids = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True)
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    assert tokenizer.convert_ids_to_tokens(ids[0]) == "<|im_start|>"
    out = model.generate(input_ids=__import__("torch").tensor([ids]), max_new_tokens=3, do_sample=False)
    assert out.shape[1] == len(ids) + 3
