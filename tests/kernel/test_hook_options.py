"""pluggy options on swift hooks: honoured where swift calls through pluggy, refused where they cannot work.

Registration hooks are called plugin by plugin (one guard each), so ordering and wrapper
options on them would silently do nothing; the service seams are called through pluggy,
so ``tryfirst`` lets a plugin take over model loading from swift-transformers.
"""

import pytest

from swift.kernel import PluginLoadError, TunerRecord, hookimpl
from swift.services import call_service


class OrderedTuners:
    @hookimpl(tryfirst=True)
    def swift_register_tuners(self):
        yield TunerRecord(name="first-lora", load="builtins:dict")


class WrappedTuners:
    @hookimpl(wrapper=True)
    def swift_register_tuners(self):
        return (yield)


@pytest.mark.parametrize("plugin", [OrderedTuners(), WrappedTuners()], ids=["tryfirst", "wrapper"])
def test_an_option_that_cannot_work_on_a_registration_hook_is_refused_at_registration(make_kernel, plugin):
    kernel = make_kernel(strict=True)
    with pytest.raises(PluginLoadError) as err:
        kernel.register(plugin, "ordered")
    message = str(err.value)
    assert "has no effect on swift_register_tuners" in message and "drop the option" in message


def test_without_strict_the_plugin_fails_and_contributes_nothing(make_kernel):
    kernel = make_kernel(strict=False)
    kernel.register(OrderedTuners(), "ordered")
    info = {p.name: p for p in kernel.plugins()}["ordered"]
    assert info.status == "failed" and "tryfirst" in info.error
    assert "first-lora" not in kernel.registry("tuners")


class ModelScopeLoader:
    @hookimpl(tryfirst=True)
    def swift_resolve_model_dir(self, args):
        return f"/modelscope/{args.model}" if str(args.model).startswith("ms://") else None


class FallbackLoader:
    @hookimpl
    def swift_resolve_model_dir(self, args):
        return f"/hub/{args.model}"


def test_tryfirst_on_a_service_seam_lets_a_plugin_answer_before_the_others(make_kernel):
    from types import SimpleNamespace

    kernel = make_kernel(strict=True, use_entry_points=False)
    kernel.register(ModelScopeLoader(), "modelscope")  # registered first: pluggy would call it last
    kernel.register(FallbackLoader(), "fallback")

    assert call_service("swift_resolve_model_dir", args=SimpleNamespace(model="ms://qwen")) == "/modelscope/ms://qwen"
    # the first plugin declines (None): the next one answers
    assert call_service("swift_resolve_model_dir", args=SimpleNamespace(model="Qwen/Qwen3")) == "/hub/Qwen/Qwen3"


def test_a_seam_no_plugin_answers_says_what_to_install(make_kernel):
    from types import SimpleNamespace

    from swift.kernel import MissingProviderError

    make_kernel(strict=True, use_entry_points=False)
    with pytest.raises(MissingProviderError, match="pip install swift-transformers"):
        call_service("swift_resolve_model_dir", args=SimpleNamespace(model="x"))
