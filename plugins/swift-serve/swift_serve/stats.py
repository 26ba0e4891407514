"""Serving statistics and the ``--log_interval`` log line.

Counters are touched only from the server's event loop, so they need no lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

logger = logging.getLogger("swift_serve")


@dataclass
class ServerStats:
    """Totals since the server started.

    Attributes:
        requests: Requests answered (successfully or not).
        failed: Requests answered with an error.
        running: Requests being answered now.
        prompt_tokens: Prompt tokens of the answered requests.
        generated_tokens: Tokens generated for them.
    """

    requests: int = 0
    failed: int = 0
    running: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0

    def begin(self) -> None:
        """A request started."""
        self.running += 1

    def end(self, prompt_tokens: int = 0, generated_tokens: int = 0, failed: bool = False) -> None:
        """A request ended, with its token counts."""
        self.running -= 1
        self.requests += 1
        self.failed += int(failed)
        self.prompt_tokens += prompt_tokens
        self.generated_tokens += generated_tokens

    def snapshot(self) -> tuple[int, int, int, int, float]:
        """``(requests, failed, prompt_tokens, generated_tokens, time)`` now."""
        return (
            self.requests,
            self.failed,
            self.prompt_tokens,
            self.generated_tokens,
            time.monotonic(),
        )


def format_interval(stats: ServerStats, previous: tuple[int, int, int, int, float], label: str = "swift deploy") -> str:
    """The log line for the time since ``previous`` (a :meth:`ServerStats.snapshot`)."""
    requests, failed, prompt, generated, now = stats.snapshot()
    seconds = max(now - previous[4], 1e-9)
    new_prompt, new_generated = prompt - previous[2], generated - previous[3]
    return (
        f"{label}: {requests - previous[0]} requests in {seconds:.1f}s "
        f"({failed - previous[1]} failed, {stats.running} running); "
        f"prompt tokens {new_prompt} ({new_prompt / seconds:.1f}/s), "
        f"generated tokens {new_generated} ({new_generated / seconds:.1f}/s); "
        f"total {requests} requests, {generated} generated tokens"
    )


async def log_every(stats: ServerStats, interval: float, label: str = "swift deploy") -> None:
    """Log :func:`format_interval` every ``interval`` seconds while anything happens."""
    previous = stats.snapshot()
    while True:
        await asyncio.sleep(interval)
        current = stats.snapshot()
        # Quiet servers stay quiet: log only intervals in which something happened.
        if current[:4] != previous[:4] or stats.running:
            logger.info(format_interval(stats, previous, label))
        previous = current
