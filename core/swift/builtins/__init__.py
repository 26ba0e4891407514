"""Plugins that ship with the core: pure Python, no heavy dependency.

They are ordinary plugin modules, registered before entry points and
overridable by any installed plugin that registers the same name.
"""

BUILTIN_PLUGINS: tuple[str, ...] = (
    "swift.builtins.commands",
    "swift.builtins.templates",
    "swift.builtins.loss_scales",
    "swift.builtins.rewards",
    "swift.builtins.schedulers",
)
