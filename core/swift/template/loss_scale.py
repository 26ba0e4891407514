r"""Loss-scale strategies (``--loss_scale``): a weight for every trained token.

A strategy is data (:class:`LossScale`): which assistant turns train (``rounds``), and
rules that weigh parts of a reply:

* ``keys`` — ms-swift's delimiter rules: ``{"Action:": [2.0, 2.0]}`` gives the text
  ``Action:`` weight 2 and what follows it, up to the next key, weight 2
  (``"Observation:": [2.0, 0.0]`` trains the key but never the observation);
* ``patterns`` — regex rules: ``{"<tool_call>.+?</tool_call>": [2.0]}`` weighs each
  match (across lines);
* ``queries`` — a reply whose user question contains the text gets one weight whole.

Text no rule covers weighs 1. A strategy whose weights are all 0 or 1 only masks
labels (the loss stays plain cross-entropy, fused kernels work); otherwise the encoded
row carries a ``loss_scale`` list the trainer multiplies each token's loss by.
``--loss_scale`` takes a record name (the ``losses`` family, ``kind="loss_scale"``) or a
JSON file in ms-swift's format (``{"key": [w_key, w_after]}``, ``{"regex": [w]}``, or
``{"response": {...}, "query": {"text": [w]}}``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from swift.kernel.errors import UsageError

ROUNDS = ("every", "last", "all")


@dataclass(frozen=True)
class LossScale:
    """A loss-scale strategy.

    Attributes:
        name: ``--loss_scale`` name (or the JSON file it came from).
        rounds: ``every`` trains every assistant turn, ``last`` only the final one,
            ``all`` every token of the row (``swift pt``).
        keys: ``(delimiter, weight of the delimiter, weight of the text after it)``.
        patterns: ``(regex, weight of each match)``.
        queries: ``(text in the user question, weight of the whole reply)``.
    """

    name: str
    rounds: str = "every"
    keys: tuple[tuple[str, float, float], ...] = ()
    patterns: tuple[tuple[str, float], ...] = ()
    queries: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.rounds not in ROUNDS:
            raise ValueError(f"loss scale {self.name!r}: rounds must be one of {', '.join(ROUNDS)}")

    @property
    def binary(self) -> bool:
        """Whether every weight is 0 or 1 (labels alone express it)."""
        weights = [w for _, a, b in self.keys for w in (a, b)]
        weights += [w for _, w in self.patterns] + [w for _, w in self.queries]
        return all(w in (0.0, 1.0) for w in weights)

    @property
    def has_rules(self) -> bool:
        """Whether replies are split at all."""
        return bool(self.keys or self.patterns or self.queries)

    def split(self, text: str, query: str = "") -> list[tuple[str, float]]:
        """``text`` (a trained reply) cut into pieces with their weights; the pieces join to ``text``."""
        for needle, weight in self.queries:
            if needle in query:
                return [(text, weight)]
        pieces = self._split_keys(text)
        for pattern, weight in self.patterns:
            pieces = [part for piece in pieces for part in _split_regex(piece, pattern, weight)]
        return [(t, w) for t, w in pieces if t]

    def _split_keys(self, text: str) -> list[tuple[str, float]]:
        if not self.keys:
            return [(text, 1.0)]
        weights = {key: (a, b) for key, a, b in self.keys}
        # longest first: "Action Input:" must not be read as "Action:" … "Input:"
        alternation = "|".join(re.escape(k) for k in sorted(weights, key=len, reverse=True))
        pieces: list[tuple[str, float]] = []
        cursor, after = 0, 1.0
        for match in re.finditer(alternation, text):
            pieces.append((text[cursor : match.start()], after))
            key_weight, after = weights[match.group(0)]
            pieces.append((match.group(0), key_weight))
            cursor = match.end()
        pieces.append((text[cursor:], after))
        return pieces

    @classmethod
    def from_mapping(cls, name: str, data: Mapping[str, Any], rounds: str = "every") -> LossScale:
        """A strategy from ms-swift's JSON layout (see the module docstring).

        Raises:
            UsageError: On a value that is not a list of one or two numbers, or a bad regex.
        """
        response, query = data, {}
        if set(data) <= {"response", "query"} and data:
            response, query = data.get("response", {}), data.get("query", {})
        keys, patterns, queries = [], [], []
        for key, value in response.items():
            weights = _weights(name, key, value)
            if len(weights) == 2:
                keys.append((key, *weights))
            else:
                try:
                    re.compile(key)
                except re.error as exc:
                    raise UsageError(f"--loss_scale {name}: {key!r} is not a valid regex: {exc}") from None
                patterns.append((key, weights[0]))
        for key, value in query.items():
            queries.append((key, _weights(name, key, value)[0]))
        return cls(name, rounds, tuple(keys), tuple(patterns), tuple(queries))


def _weights(name: str, key: str, value: Any) -> tuple[float, ...]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    ok = isinstance(value, list) and len(value) in (1, 2)
    ok = ok and all(isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in value)
    if not ok:
        raise UsageError(
            f"--loss_scale {name}: the value of {key!r} must be [weight] (a regex) or "
            f"[weight of the key, weight after it], non-negative numbers; got {value!r}"
        )
    return tuple(float(w) for w in value)


def _split_regex(piece: tuple[str, float], pattern: str, weight: float) -> list[tuple[str, float]]:
    text, base = piece
    out, cursor = [], 0
    for match in re.finditer(pattern, text, re.S):
        if match.end() == match.start():
            continue
        out += [(text[cursor : match.start()], base), (match.group(0), weight)]
        cursor = match.end()
    out.append((text[cursor:], base))
    return out


# The built-in strategies. react, hermes, qwen and ignore_empty_think carry ms-swift's
# weights; agentflan and alpha_umi are this project's (see docs/agents.md).
_REACT_KEYS = (
    ("Action:", 2.0, 2.0),
    ("Action Input:", 2.0, 2.0),
    ("Thought:", 1.0, 1.0),
    ("Final Answer:", 1.0, 1.0),
    ("Observation:", 2.0, 0.0),
)
_EMPTY_THINK = ((r"<think>\s*</think>\s*", 0.0),)

DEFAULT = LossScale("default")
LAST_ROUND = LossScale("last_round", rounds="last")
ALL = LossScale("all", rounds="all")
REACT = LossScale("react", keys=_REACT_KEYS)
HERMES = LossScale("hermes", patterns=((r"<tool_call>.+?</tool_call>", 2.0),))
QWEN = LossScale(
    "qwen",
    keys=(("✿FUNCTION✿:", 2.0, 2.0), ("✿ARGS✿:", 2.0, 2.0), ("✿RETURN✿:", 1.0, 1.0), ("✿RESULT✿:", 2.0, 0.0)),
)
AGENTFLAN = LossScale(
    "agentflan",
    keys=(
        ("Action:", 1.0, 1.0),
        ("Action Input:", 1.0, 1.0),
        ("Thought:", 1.0, 1.0),
        ("Final Answer:", 1.0, 1.0),
        ("Observation:", 1.0, 0.0),
    ),
)
ALPHA_UMI = LossScale(
    "alpha_umi",
    keys=(("Next:", 2.0, 2.0), ("Action:", 2.0, 2.0), ("Action Input:", 2.0, 2.0), ("Observation:", 2.0, 0.0)),
)
IGNORE_EMPTY_THINK = LossScale("ignore_empty_think", patterns=_EMPTY_THINK)
LAST_ROUND_IGNORE_EMPTY_THINK = LossScale("last_round_with_ignore_empty_think", rounds="last", patterns=_EMPTY_THINK)


def load_loss_scale(value: str | LossScale) -> LossScale:
    """The strategy ``--loss_scale value`` names: a ``loss_scale`` record or a JSON file.

    Raises:
        UsageError: An unknown name (listing the strategies), an unreadable or invalid file.
    """
    if isinstance(value, LossScale):
        return value
    if not isinstance(value, str) or not value:
        raise UsageError(f"--loss_scale must be a strategy name or a JSON file, got {value!r}")
    if value.endswith(".json") or os.sep in value:
        return _from_file(value)
    from swift.contracts.loaders import load_loss_scale_object

    return load_loss_scale_object(value)


def _from_file(path: str) -> LossScale:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise UsageError(f"--loss_scale {path}: cannot read the file ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise UsageError(f"--loss_scale {path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"--loss_scale {path}: the file must hold a JSON object of key -> weights")
    return LossScale.from_mapping(path, data)
