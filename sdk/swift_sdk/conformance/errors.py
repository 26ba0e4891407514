"""The one error every conformance check raises: who is wrong, in what, and how."""

from __future__ import annotations


class ConformanceError(AssertionError):
    """A plugin breaks a contract of its family.

    An ``AssertionError`` so pytest reports it as a test failure (not an error)
    and shows the message as it is.

    Attributes:
        plugin: The plugin's hooks module (``swift_acme.hooks``) or entry-point name.
        family: The family of the record at fault, if one is.
        record: The record name at fault, if one is.
        problem: What is wrong and how to fix it.
    """

    def __init__(self, plugin: str, problem: str, *, family: str = "", record: str = ""):
        self.plugin, self.family, self.record, self.problem = plugin, family, record, problem
        where = f"plugin {plugin}"
        if record:
            label = family.rstrip("s") if family != "losses" else "loss"
            where += f", {label} {record!r}"
        super().__init__(f"{where}: {problem}")


def fail(plugin: str, problem: str, *, family: str = "", record: str = "") -> ConformanceError:
    """Build a :class:`ConformanceError` to raise, so that a check reads like a sentence."""
    return ConformanceError(plugin, problem, family=family, record=record)


class CheckSkipped(Exception):
    """A check cannot run here (no tiny model of the architecture, a missing package …).

    The pytest suites turn it into a skip with :attr:`reason`; it is not a failure.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
