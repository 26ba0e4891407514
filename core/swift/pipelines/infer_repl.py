"""``swift infer`` without a dataset: a chat on the terminal.

Commands typed as a whole line, as in ms-swift: ``exit``/``quit`` leave (so
does Ctrl-D), ``clear`` forgets the conversation, ``reset-system`` asks for a
new system prompt, ``multi-line`` lets a query span lines (end it with ``#``)
and ``single-line`` switches back. Ctrl-C while an answer is printed stops that
answer only. A query with ``<image>`` (``<video>``, ``<audio>``) tags asks for the path or
URL of each medium, as ms-swift's does; the conversation keeps them until ``clear``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from swift.kernel import SwiftError
from swift.protocol import InferRequest, request_config_from_args
from swift.template.media import COLUMNS, count_tags

HELP = (
    "commands: exit/quit (or Ctrl-D) leave, clear forgets the conversation, reset-system sets "
    "a new system prompt, multi-line/single-line switch the input mode (in multi-line mode "
    "end every query, and command, with '#')"
)


class ChatSession:
    """The state of one terminal chat: history, system prompt, input mode.

    Args:
        engine: An :class:`swift.protocol.InferEngine`.
        args: ``InferArguments`` (generation flags, ``--system``, ``--stream``).
        read: ``prompt -> line`` (raises ``EOFError`` at end of input).
        out: Where answers are printed.
        log: Optional JSONL file receiving each turn (``--result_path``).
    """

    def __init__(
        self,
        engine: Any,
        args: Any,
        read: Callable[[str], str] = input,
        out: TextIO | None = None,
        log: TextIO | None = None,
    ):
        self.engine = engine
        self.config = request_config_from_args(args)
        self.system: str | None = getattr(args, "system", None)
        self.read = read
        self.out = out or sys.stdout
        self.log = log
        self.history: list[dict[str, str]] = []
        self.media: dict[str, list[str]] = {column: [] for column in COLUMNS.values()}
        self.multi_line = False

    def run(self) -> int:
        """Chat until ``exit``/``quit`` or end of input; returns the number of answers."""
        answers = 0
        while True:
            try:
                query = self._read_query()
            except EOFError:
                self._print("")
                return answers
            command = query.strip()
            if command in ("exit", "quit"):
                return answers
            if self._command(command) or not command:
                continue
            if self.answer(query) is not None:
                answers += 1

    def _command(self, command: str) -> bool:
        if command == "clear":
            self.history = []
            self.media = {column: [] for column in COLUMNS.values()}
            self._print("[conversation cleared]")
        elif command == "reset-system":
            self.system = self.read("<<<[system] ") or None
            self.history = []
            self._print("[system prompt set; conversation cleared]")
        elif command == "multi-line":
            self.multi_line = True
            self._print("[multi-line mode: end your query with '#']")
        elif command == "single-line":
            self.multi_line = False
            self._print("[single-line mode]")
        elif command in ("help", "?"):
            self._print(HELP)
        else:
            return False
        return True

    def _read_query(self) -> str:
        if not self.multi_line:
            return self.read("<<< ")
        lines: list[str] = []
        prompt = "<<<[M] "
        while True:
            line = self.read(prompt)
            if line.rstrip().endswith("#"):
                lines.append(line.rstrip()[:-1])
                return "\n".join(lines)
            lines.append(line)
            prompt = ""

    def answer(self, query: str) -> str | None:
        """Send ``query`` with the history, print the answer and remember the turn."""
        messages = [*self.history, {"role": "user", "content": query}]
        media = {
            column: [*items, *self._ask_media(query, kind)]
            for kind, column in COLUMNS.items()
            for items in [self.media[column]]
        }
        try:
            request = InferRequest(messages=messages, system=self.system, **media)
            text = self._stream(request) if self.config.stream else self._complete(request)
        except ValueError as exc:  # tags and media do not match
            self._print(f"[error] {exc}")
            return None
        except SwiftError as exc:
            self._print(f"[error] {exc}")
            return None
        if text is None:
            return None
        self.history = [*messages, {"role": "assistant", "content": text}]
        self.media = media
        if self.log is not None:
            record = {"messages": self.history, "response": text}
            if self.system is not None:
                record["system"] = self.system
            self.log.write(json.dumps(record, ensure_ascii=False) + "\n")
        return text

    def _ask_media(self, query: str, kind: str) -> list[str]:
        return [self.read(f"Input {kind} path or URL {i + 1} <<< ").strip() for i in range(count_tags([query])[kind])]

    def _complete(self, request: InferRequest) -> str:
        [response] = self.engine.infer([request], self.config)
        text = response.choices[0].message.content
        self._print(text)
        return text

    def _stream(self, request: InferRequest) -> str | None:
        [chunks] = self.engine.infer([request], self.config)
        parts: list[str] = []
        try:
            for chunk in chunks:
                for choice in chunk.choices:
                    if choice.index == 0 and choice.delta.content:
                        parts.append(choice.delta.content)
                        self.out.write(choice.delta.content)
                        self.out.flush()
        except KeyboardInterrupt:
            chunks.close()  # tells the engine to stop generating this answer
            self._print("\n[interrupted]")
            return None
        self._print("")
        return "".join(parts)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def run_interactive(engine: Any, args: Any, log: TextIO | None = None) -> dict:
    """Chat on the terminal until the user leaves; returns ``{"answers": n}``."""
    print(
        f"swift infer: chatting with {getattr(engine, 'model_name', 'the model')}. "
        "Type 'exit' or press Ctrl-D to leave, 'help' for commands.",
        flush=True,
    )
    session = ChatSession(engine, args, log=log)
    return {"answers": session.run()}
