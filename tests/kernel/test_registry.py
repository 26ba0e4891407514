"""Registries: unknown names, missing providers, conflicts and overrides."""

import pytest

from swift.kernel import CommandRecord, ConflictError, MissingProviderError, TunerRecord, UnknownNameError, hookimpl


def tuner_plugin(*names):
    class Plugin:
        @hookimpl
        def swift_register_tuners(self):
            for n in names:
                yield TunerRecord(name=n, load="builtins:dict")

    return Plugin()


def test_unknown_name_lists_available_and_suggests_closest(swift_kernel):
    swift_kernel.register(tuner_plugin("zeta-lora", "zeta-boft"), "zeta")
    with pytest.raises(UnknownNameError) as err:
        swift_kernel.registry("tuners").get("zeta-lroa")
    message = str(err.value)
    assert "Did you mean 'zeta-lora'?" in message
    assert "zeta-boft" in message and "zeta-lora" in message
    assert err.value.exit_code == 2


def test_empty_family_names_the_package_to_install():
    from swift_sdk.kernel import fresh_kernel

    with fresh_kernel(use_entry_points=False, strict=True) as kernel:
        with pytest.raises(MissingProviderError) as err:
            kernel.registry("tuners").get("lora")
    assert "pip install swift-peft" in str(err.value)
    assert "plugins/swift-peft" in str(err.value)


def test_two_plugins_with_one_name_conflict_when_used(swift_kernel):
    swift_kernel.register(tuner_plugin("clash", "only-a"), "plugin-a", distribution="swift-a", version="1.0")
    swift_kernel.register(tuner_plugin("clash", "only-b"), "plugin-b", distribution="swift-b", version="2.0")
    tuners = swift_kernel.registry("tuners")
    assert tuners.get("only-a").provider.plugin == "plugin-a"
    with pytest.raises(ConflictError) as err:
        tuners.get("clash")
    assert "swift-a 1.0" in str(err.value) and "swift-b 2.0" in str(err.value)
    statuses = {p.name: p.status for p in swift_kernel.plugins()}
    assert statuses["plugin-a"] == statuses["plugin-b"] == "conflict"


def test_a_plugin_overrides_a_builtin_without_conflict(swift_kernel):
    class Serve:
        @hookimpl
        def swift_register_commands(self):
            yield CommandRecord(name="deploy", load="builtins:print", summary="real server")

    swift_kernel.register(Serve(), "test-serve-override")
    record = swift_kernel.registry("commands").get("deploy")
    assert record.summary == "real server"
    assert swift_kernel.registry("commands").conflicts() == {}


def test_a_known_name_whose_plugin_failed_says_why_instead_of_install(fake_dist, make_kernel):
    fake_dist(
        "swift-vllm",
        entry_points={"swift.engines": {"vllm": "broken_vllm_hooks"}},
        modules={"broken_vllm_hooks.py": "raise ImportError('vllm library is not installed: pip install vllm')\n"},
    )
    kernel = make_kernel(strict=False)
    with pytest.raises(MissingProviderError) as err:
        kernel.registry("engines").get("vllm")
    assert "swift-vllm is installed but failed to load" in str(err.value)
    assert "vllm library is not installed" in str(err.value)
