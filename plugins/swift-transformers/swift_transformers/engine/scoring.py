"""Scoring prompts (``echo``): rows of a forward pass, with shared prefixes computed once.

Log-likelihood evaluation sends the same context with each of its continuations
(a multiple-choice question with 4 choices is 4 prompts that share the question). Prompts
of one scoring batch that share a long enough prefix are packed into one row: the prefix
once, then each prompt's own suffix, every suffix attending to the prefix and to itself
only, its positions continuing the prefix's. The logprobs are those of scoring each prompt
alone (checked against transformers in the tests) at a fraction of the tokens: the 4 choices
of a 20-token question with 4-token choices are 36 tokens instead of 96.

Packing needs a 4-D attention mask and explicit positions, which plain decoder-only models
with ``sdpa``/``eager`` attention take; other models (flash attention, linear-attention or
multimodal ones) are scored one prompt per row. Only :func:`pack` and :func:`unpacked`
decide the rows; the runner turns them into tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A group's shared prefix must be at least this long, and at least half of each member.
MIN_SHARED = 8
# Prompts in one packed row.
MAX_GROUP = 16
# Widest packed row (its attention mask is width² elements).
MAX_PACKED_WIDTH = 4096


@dataclass
class Row:
    """One row of a scoring pass.

    Attributes:
        tokens: The row's token ids: the shared prefix, then each member's suffix.
        positions: Position id of each token (each suffix continues the prefix).
        segments: 0 for the prefix, ``j + 1`` for member ``j``'s suffix.
        shared: Length of the shared prefix.
        members: ``(prompt index, start of its suffix in the row)`` per prompt.
    """

    tokens: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    segments: list[int] = field(default_factory=list)
    shared: int = 0
    members: list[tuple[int, int]] = field(default_factory=list)

    @property
    def width(self) -> int:
        """Tokens in the row."""
        return len(self.tokens)

    def place(self, start: int, k: int) -> int:
        """Where the ``k``-th token of the member whose suffix starts at ``start`` sits in the row."""
        return k if k < self.shared else start + k - self.shared


def _row(prompts: list[list[int]], indices: list[int], shared: int) -> Row:
    first = prompts[indices[0]]
    row = Row(list(first[:shared]), list(range(shared)), [0] * shared, shared)
    for j, index in enumerate(indices):
        suffix = prompts[index][shared:]
        row.members.append((index, len(row.tokens)))
        row.tokens += suffix
        row.positions += range(shared, shared + len(suffix))
        row.segments += [j + 1] * len(suffix)
    return row


def unpacked(prompts: list[list[int]]) -> list[Row]:
    """One row per prompt (its whole prompt is its "prefix")."""
    return [_row(prompts, [i], len(p)) for i, p in enumerate(prompts)]


def _common(a: list[int], b: list[int], limit: int) -> int:
    n = min(limit, len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def pack(prompts: list[list[int]]) -> list[Row]:
    """Rows of ``prompts`` with every group that shares a long enough prefix packed into one row.

    Prompts are sorted, so a group's common prefix is that of its first and last member; a
    prompt joins the open group while the common prefix stays at least :data:`MIN_SHARED`
    tokens and half of every member, the group has fewer than :data:`MAX_GROUP` members and the
    row stays within :data:`MAX_PACKED_WIDTH`.
    """
    order = sorted(range(len(prompts)), key=lambda i: prompts[i])
    rows: list[Row] = []
    group = [order[0]]
    shared = longest = len(prompts[order[0]])
    for index in order[1:]:
        prompt = prompts[index]
        common = _common(prompts[group[0]], prompt, shared)
        longest_then = max(longest, len(prompt))
        # the row if it joins: the prefix, then every member's suffix
        width_then = common + sum(len(prompts[i]) - common for i in group) + len(prompt) - common
        if (
            common >= MIN_SHARED
            and 2 * common >= longest_then
            and len(group) < MAX_GROUP
            and width_then <= MAX_PACKED_WIDTH
        ):
            group.append(index)
            shared, longest = common, longest_then
            continue
        rows.append(_row(prompts, group, shared))
        group, shared, longest = [index], len(prompt), len(prompt)
    rows.append(_row(prompts, group, shared))
    return rows
