"""`swift infer` without data is a chat on the terminal, driven here through a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest

WAIT = 180  # seconds before a hung chat is declared dead (a deadlock guard, not a timing assert)
PROMPT = "<<< "


class Terminal:
    """A process attached to a pseudo-terminal, read until expected text appears."""

    def __init__(self, argv: list[str]):
        self.master, slave = pty.openpty()
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.buffer = ""

    def expect(self, text: str) -> str:
        """Everything printed before ``text`` (consumed up to and including it)."""
        deadline = time.monotonic() + WAIT
        while text not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None and not self._ready(0):
                raise AssertionError(f"never saw {text!r}; the terminal shows:\n{self.buffer}")
            if self._ready(min(remaining, 1.0)):
                try:
                    data = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    data = b""
                self.buffer += data.decode("utf-8", errors="replace").replace("\r\n", "\n")
        before, _, self.buffer = self.buffer.partition(text)
        return before

    def _ready(self, timeout: float) -> bool:
        return bool(select.select([self.master], [], [], timeout)[0])

    def send(self, line: str) -> None:
        os.write(self.master, line.encode())

    def ask(self, question: str) -> str:
        """Type a question and return the answer printed before the next prompt."""
        self.send(question + "\n")
        echoed_and_answer = self.expect(PROMPT)
        echo, _, answer = echoed_and_answer.partition(question + "\n")
        return answer.strip("\n")

    def close(self) -> int:
        try:
            return self.proc.wait(WAIT)
        finally:
            os.close(self.master)


def _swift(*flags: str) -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "swift")
    return [script, *flags] if os.path.exists(script) else [sys.executable, "-m", "swift.cli.main", *flags]


@pytest.fixture
def terminal():
    terminals: list[Terminal] = []

    def start(*flags: str) -> Terminal:
        terminals.append(Terminal(_swift(*flags)))
        return terminals[-1]

    yield start
    for term in terminals:
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()


def test_chat_keeps_history_until_clear_and_exits(terminal, tiny_model_path):
    term = terminal(
        "infer",
        "--model",
        str(tiny_model_path),
        "--max_new_tokens",
        "6",
        "--temperature",
        "0",
        "--stream",
        "true",
    )
    assert "chatting with qwen3" in term.expect(PROMPT)
    first = term.ask("hello")
    second = term.ask("hello")  # asked again: the model now also sees the first exchange
    assert first and second and second != first
    term.send("clear\n")
    assert "[conversation cleared]" in term.expect(PROMPT)
    assert term.ask("hello") == first
    term.send("exit\n")
    assert term.close() == 0


def test_multi_line_query_system_reset_and_ctrl_d(terminal, tiny_model_path, tmp_path):
    log = tmp_path / "chat.jsonl"
    term = terminal(
        "infer",
        "--model",
        str(tiny_model_path),
        "--max_new_tokens",
        "4",
        "--temperature",
        "0",
        "--result_path",
        str(log),
    )
    term.expect(PROMPT)
    term.send("multi-line\n")
    assert "end your query with '#'" in term.expect("<<<[M] ")
    term.send("first line\n")
    term.send("second line#\n")
    answer = term.expect("<<<[M] ").split("second line#\n", 1)[1].strip("\n")
    assert answer
    term.send("single-line#\n")  # in multi-line mode commands end with # too
    term.expect(PROMPT)
    term.send("reset-system\n")
    term.expect("<<<[system] ")
    term.send("You are a pirate.\n")
    assert "system prompt set" in term.expect(PROMPT)
    assert term.ask("hi")
    term.send("\x04")  # Ctrl-D
    assert term.close() == 0
    turns = [json.loads(line) for line in log.read_text().splitlines()]
    assert turns[0]["messages"][0] == {"role": "user", "content": "first line\nsecond line"}
    assert turns[0]["response"] == answer
    assert turns[1]["system"] == "You are a pirate." and len(turns[1]["messages"]) == 2
