"""Reward conformance: one float (or None) per completion, sync or async."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from swift_sdk.conformance.errors import CheckSkipped, fail
from swift_sdk.conformance.plugin import PluginUnderTest

COMPLETIONS = (
    "The answer is 4.",
    "<think>2 + 2</think><answer>4</answer>",
    "I do not know, sorry.",
)
# What TRL and swift's GRPO trainer pass next to the completions (dataset columns included).
DEFAULT_COLUMNS: dict[str, Sequence[Any]] = {
    "prompts": ("What is 2 + 2?",),
    "solution": ("4",),
    "completion_ids": ([1, 2, 3],),
}


def _columns(columns: Mapping[str, Sequence[Any]], n: int) -> dict[str, list[Any]]:
    # one value per completion, cycling the examples given
    return {key: [values[i % len(values)] for i in range(n)] for key, values in columns.items() if values}


def check_reward(
    plugin: PluginUnderTest,
    name: str,
    columns: Mapping[str, Sequence[Any]] | None = None,
    arguments: Mapping[str, Any] | None = None,
) -> None:
    """Score batches of 3 and of 1 completion with the reward ``name``.

    Args:
        plugin: From :func:`~swift_sdk.conformance.load_plugin`.
        name: The ``--reward_funcs`` name.
        columns: Dataset columns the reward reads (``{"solution": ["4"]}``), merged over
            ``prompts``, ``solution`` and ``completion_ids`` examples; values are cycled.
        arguments: ``swift rlhf`` flags a reward class reads (``{"soft_cache_length": 16}``).

    Raises:
        CheckSkipped: For reward models (``kind="model"``), which trainers load.
        ConformanceError: When it returns the wrong number of scores, a non-number, or raises.
    """
    from swift.arguments import RLHFArguments
    from swift.rewards import call_reward, load_reward

    record = plugin.record("rewards", name)
    if record.kind == "model":
        raise CheckSkipped(f"reward {name!r} is a reward model: trainer plugins load those")
    merged = {**DEFAULT_COLUMNS, **(columns or {})}
    with plugin.active():
        try:
            reward = load_reward(name, RLHFArguments(rlhf_type="grpo", reward_funcs=[name], **(arguments or {})))
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise fail(plugin.label, f"cannot be built: {exc}", family="rewards", record=name) from exc
        for completions in (list(COMPLETIONS), list(COMPLETIONS[:1])):
            try:
                call_reward(reward, completions, **_columns(merged, len(completions)))
            except Exception as exc:  # noqa: BLE001 - reported to the author
                raise fail(
                    plugin.label,
                    f"scoring {len(completions)} completion(s) failed: {type(exc).__name__}: {exc}",
                    family="rewards",
                    record=name,
                ) from exc
