"""The table of plugin families: entry-point group, hook and record type of each.

This table is the single place that ties a family name to its entry-point
group (``swift.tuners``), its registration hook (``swift_register_tuners``) and
the record class its hook must yield.
"""

from __future__ import annotations

from dataclasses import dataclass

from swift.kernel import records as r

ENTRY_POINT_PREFIX = "swift."


@dataclass(frozen=True)
class Family:
    """One plugin family.

    Attributes:
        name: Family name (``tuners``).
        record_type: Record class the hook yields.
        hook: Name of the registration hook.
        provided_by: First-party distribution that provides the usual implementations,
            named in errors when no plugin of the family is installed.
        group: Entry-point group, or ``None`` for hooks any loaded plugin may implement.
    """

    name: str
    record_type: type[r.Record]
    hook: str
    provided_by: str = ""
    group: str | None = None
    known: tuple[tuple[str, str], ...] = ()

    def distribution_of(self, name: str) -> str | None:
        """The first-party distribution that provides ``name`` in this family, if we know one."""
        return dict(self.known).get(name)

    @property
    def label(self) -> str:
        """The name errors use for one record of the family (``tuner``, ``loss`` …)."""
        return self.name.rstrip("s") if self.name != "losses" else "loss"


def _family(name: str, record_type: type[r.Record], provided_by: str, known: dict[str, str] | None = None) -> Family:
    return Family(
        name,
        record_type,
        f"swift_register_{name}",
        provided_by,
        ENTRY_POINT_PREFIX + name,
        tuple((known or {}).items()),
    )


# Names users type whose provider we ship or know, so an error can say what to install.
_RLHF = dict.fromkeys(("dpo", "orpo", "simpo", "kto", "cpo", "grpo"), "swift-trl")
_KNOWN_TRAINERS = {"sft": "swift-transformers", "pt": "swift-transformers", **_RLHF}
_KNOWN_ENGINES = {
    "pt": "swift-transformers",
    "transformers": "swift-transformers",
    "vllm": "swift-vllm",
    # sglang and lmdeploy: swift-serve's check says how to drive their servers (--infer_backend openai)
    "openai": "swift-serve",
    "client": "swift-serve",
}


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        _family("models", r.ModelRecord, "swift-transformers"),
        _family("templates", r.TemplateRecord, "swift (built in)"),
        _family("agent_templates", r.AgentTemplateRecord, "swift (built in)"),
        _family("datasets", r.DatasetRecord, "swift-transformers"),
        _family("tuners", r.TunerRecord, "swift-peft"),
        _family("losses", r.LossRecord, "swift-transformers"),
        _family("rewards", r.RewardRecord, "swift-trl"),
        _family("schedulers", r.SchedulerRecord, "swift (built in)"),
        _family("tools", r.ToolRecord, "swift (built in)"),
        _family("engines", r.EngineRecord, "swift-transformers", _KNOWN_ENGINES),
        _family("eval_backends", r.EvalBackendRecord, "swift-eval"),
        _family("trainers", r.TrainerRecord, "swift-transformers", _KNOWN_TRAINERS),
        _family("commands", r.CommandRecord, "swift (built in)"),
        # Argument groups have no entry-point group of their own: any loaded plugin
        # (an engine plugin, a tuner plugin …) may contribute some.
        Family("arguments", r.ArgumentGroupRecord, "swift_register_arguments"),
    )
}

ENTRY_POINT_FAMILIES: tuple[str, ...] = tuple(n for n, f in FAMILIES.items() if f.group)


def get_family(name: str) -> Family:
    """Return the family called ``name`` or raise ``KeyError`` listing the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown plugin family {name!r}; known: {', '.join(FAMILIES)}") from None


def install_hint(distribution: str) -> str:
    """How to install a first-party distribution.

    From PyPI, and from the checkout swift runs from when the distribution's folder is in it.
    """
    if distribution.startswith("swift (built in)"):
        return "it ships with swift itself; reinstall swift"
    folder = _checkout_folder(distribution)
    where = f"  (from a checkout: pip install -e {folder})" if folder else ""
    return f"pip install {distribution}{where}"


def _checkout_folder(distribution: str) -> str | None:
    """The folder of ``distribution`` in the source checkout of this swift, if any.

    Found by reading the ``pyproject.toml`` files one and two levels below the
    checkout's root (only on error paths), so no folder layout is written down here.
    """
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]  # <root>/core/swift/kernel/families.py
    if not (root / "pyproject.toml").is_file():
        return None  # an installed wheel, not a checkout
    wanted = re.compile(rf'^name\s*=\s*"{re.escape(distribution)}"\s*$', re.M)
    for pyproject in sorted([*root.glob("*/pyproject.toml"), *root.glob("*/*/pyproject.toml")]):
        try:
            if wanted.search(pyproject.read_text(encoding="utf-8")):
                return pyproject.parent.relative_to(root).as_posix()
        except OSError:
            continue
    return None
