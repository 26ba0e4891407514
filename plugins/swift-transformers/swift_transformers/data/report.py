"""Counting bad rows: dropped and reported once per source, or raised with ``--strict``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from swift.kernel import UsageError

logger = logging.getLogger("swift.data")


@dataclass
class DropReport:
    """Bad rows of one source (a file, a named or hub dataset, an encoding pass).

    Attributes:
        source: What the rows came from, as the user named it (``data/train.jsonl``).
        strict: Raise on the first bad row instead of counting it.
        stage: ``preprocessing`` or ``encoding``, shown in the messages.
        total: Rows seen.
        dropped: Rows dropped.
        first: Location and reason of the first dropped row.
    """

    source: str
    strict: bool = False
    stage: str = "preprocessing"
    total: int = 0
    dropped: int = 0
    first: str = ""

    def bad(self, row: int, reason: str) -> None:
        """Record bad row number ``row`` (1-based), or raise in strict mode.

        Raises:
            UsageError: With ``strict``, naming the source, the row and the reason.
        """
        if self.strict:
            raise UsageError(
                f"{self.source} row {row}: {reason} ({self.stage}; --strict stops at the first "
                "bad row, without it bad rows are dropped and counted)"
            )
        self.dropped += 1
        if not self.first:
            self.first = f"row {row}: {reason}"

    def summary(self) -> str:
        """``dropped 3 of 100 rows from data.jsonl: row 4: missing 'output'``."""
        return f"dropped {self.dropped} of {self.total} rows from {self.source}: {self.first}"

    def log(self) -> None:
        """Warn about dropped rows (nothing when every row was fine)."""
        if self.dropped:
            logger.warning("%s (%s; pass --strict true to stop at bad rows)", self.summary(), self.stage)

    def check_not_empty(self) -> None:
        """Raise when every row was bad: training on nothing hides the real problem.

        Raises:
            UsageError: Naming the source and the first reason.
        """
        if self.total and self.dropped == self.total:
            raise UsageError(f"no usable rows in {self.source} ({self.stage}): {self.summary()}")
        if not self.total:
            raise UsageError(f"{self.source} holds no rows")
