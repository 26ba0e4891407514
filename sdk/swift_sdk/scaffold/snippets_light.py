"""Scaffold snippets of the pure-Python families.

Templates, datasets, rewards, schedulers, evaluation backends and commands: nothing heavy is imported.
"""

from __future__ import annotations

from swift_sdk.scaffold.spec import FamilySnippet

TEMPLATES = FamilySnippet(
    family="templates",
    record_type="TemplateRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.templates:TEMPLATE"'),
        ("summary", '"$Camel chat format"'),
    ),
    modules={
        "templates.py": '''\
"""The ``$name`` chat template (``--template $name``): plain data, no tokenizer needed."""

from swift.template import TemplateMeta

TEMPLATE = TemplateMeta(
    name="$name",
    system_prefix="<|system|>{system}<|end|>",
    user="<|user|>{content}<|end|>",
    assistant_prefix="<|assistant|>",
    assistant="{content}<|end|>",  # the trained part: the reply and its end-of-turn token
    stop_words=("<|end|>",),
)
''',
    },
    usage="swift sft --model <dir> --template $name …",
)

DATASETS = FamilySnippet(
    family="datasets",
    record_type="DatasetRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.datasets:load_rows"'),
        ("summary", '"$Camel demo chats"'),
    ),
    modules={
        "datasets.py": '''\
"""The ``$name`` dataset (``--dataset $name#100``): rows in swift's ``messages`` format."""

from __future__ import annotations

from typing import Any

_PAIRS = (
    ("What is the capital of France?", "Paris."),
    ("How many legs does a spider have?", "Eight."),
    ("What colour is the sky on a clear day?", "Blue."),
    ("What is 3 plus 4?", "7."),
    ("Which planet is closest to the sun?", "Mercury."),
    ("What do bees make?", "Honey."),
)


def load_rows(spec: Any, args: Any) -> list[dict]:
    """Every row of the dataset; swift samples ``#n`` and splits off validation rows itself.

    Replace the pairs with your data: read a file, or call ``datasets.load_dataset`` here.
    """
    return [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        for q, a in _PAIRS
    ]
''',
    },
    usage="swift sft --model <dir> --dataset $name#100 …",
)

REWARDS = FamilySnippet(
    family="rewards",
    record_type="RewardRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.rewards:brevity"'),
        ("summary", '"1.0 for short answers"'),
    ),
    modules={
        "rewards.py": '''\
"""The ``$name`` reward (``--reward_funcs $name``): TRL's ``fn(completions, **columns)``."""

from __future__ import annotations

from typing import Any

from swift.rewards import completion_texts

SHORT, LONG = 20, 100  # words


def brevity(completions: list[Any], **columns: Any) -> list[float]:
    """1.0 for answers of at most 20 words, falling linearly to 0.0 at 100 words.

    ``columns`` holds every dataset column (``solution`` …) as a list, one per completion.
    """
    scores = []
    for text in completion_texts(completions):
        words = len(text.split())
        scores.append(max(0.0, min(1.0, (LONG - words) / (LONG - SHORT))))
    return scores
''',
    },
    usage="swift rlhf --rlhf_type grpo --reward_funcs $name …",
    tests={
        "test_rewards.py": '''\
"""The $name reward prefers short answers."""

from $pkg.rewards import brevity


def test_short_answers_score_one_and_rambling_scores_zero():
    assert brevity(["Paris.", "word " * 200]) == [1.0, 0.0]
''',
    },
)

SCHEDULERS = FamilySnippet(
    family="schedulers",
    record_type="SchedulerRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.schedulers:${Camel}Scheduler"'),
        ("summary", '"asks the model to check its answer once"'),
    ),
    modules={
        "schedulers.py": '''\
"""The ``$name`` multi-turn scheduler (``--multi_turn_scheduler $name``)."""

from __future__ import annotations

from swift.protocol import ChatCompletionResponseChoice as Choice
from swift.protocol import InferRequest
from swift.scheduler import MultiTurnScheduler, append_messages

CHECK_AGAIN = "Check your answer and reply again."


class ${Camel}Scheduler(MultiTurnScheduler):
    """After the first answer, ask the model once to check it, then stop."""

    def check_finished(self, request: InferRequest, choice: Choice, turn: int) -> bool:
        return turn >= 2 or super().check_finished(request, choice, turn)

    def step(self, request: InferRequest, choice: Choice, turn: int) -> InferRequest:
        following = super().step(request, choice, turn)  # the answer, appended
        return append_messages(following, {"role": "user", "content": CHECK_AGAIN})
''',
    },
    usage="swift rlhf --rlhf_type grpo --multi_turn_scheduler $name --max_turns 2 …",
)

AGENT_TEMPLATES = FamilySnippet(
    family="agent_templates",
    record_type="AgentTemplateRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.agent_templates:${Camel}Tools"'),
        ("summary", '"tools as CALL name(json) lines"'),
    ),
    modules={
        "agent_templates.py": '''\
"""The ``$name`` tool format (``--tools_prompt $name``): how tools, calls and results are written."""

from __future__ import annotations

import json
import re

from swift.template.agent import AgentTemplate
from swift.template.conversation import ToolCall, tool_name


class ${Camel}Tools(AgentTemplate):
    """Tools listed by name; a call is ``CALL name({json})``; results come back in the tool turn."""

    name = "$name"
    call_marker = "CALL "
    CALL = re.compile(r"CALL (\\w+)\\((\\{.*?\\})\\)")

    def tools_prompt(self, system, tools):
        """The system prompt followed by the tool names and how to call one."""
        names = ", ".join(tool_name(t) for t in tools)
        block = f"Tools: {names}. To use one, write CALL name({{json arguments}})."
        return block if not system else f"{system}\\n\\n{block}"

    def format_calls(self, calls):
        """One CALL line per call."""
        return "\\n".join(f"CALL {c.name}({c.arguments_json})" for c in calls)

    def parse_calls(self, text):
        """The CALL lines of a reply (the text whole when one is malformed)."""
        start = text.find(self.call_marker)
        if start == -1:
            return text, []
        calls = []
        for name, raw in self.CALL.findall(text[start:]):
            try:
                calls.append(ToolCall(name, json.loads(raw)))
            except ValueError:
                return text, []
        return (text[:start].rstrip(), calls) if calls else (text, [])
''',
    },
    usage="swift sft --model <dir> --dataset agent.jsonl --tools_prompt $name …",
)

TOOLS = FamilySnippet(
    family="tools",
    record_type="ToolRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.tools:word_count"'),
        ("summary", '"counts the words of a text"'),
    ),
    modules={
        "tools.py": '''\
"""A tool the ``tool_call`` scheduler runs when a model calls it during GRPO rollouts."""

from __future__ import annotations


def word_count(text: str) -> dict:
    """The number of words in ``text`` (the model reads the JSON of what this returns)."""
    return {"words": len(text.split())}
''',
    },
    usage="swift rlhf --rlhf_type grpo --multi_turn_scheduler tool_call … (rows offer the tool in 'tools')",
)

EVAL_BACKENDS = FamilySnippet(
    family="eval_backends",
    record_type="EvalBackendRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.eval_backend:${Camel}Backend"'),
        ("summary", '"exact match of chat answers to question/answer jsonl files"'),
    ),
    modules={
        "eval_backend.py": '''\
"""The ``$name`` evaluation backend (``swift eval --eval_backend $name``): exact match over HTTP."""

from __future__ import annotations

import json
import os
import urllib.request

from swift.contracts import EvalReport, EvalScore, EvalSettings, EvalTarget
from swift.kernel import UsageError


class ${Camel}Backend:
    """Asks the served model each ``question``; scores answers equal to ``answer``."""

    def __init__(self, settings: EvalSettings) -> None:
        # runs before the model loads: refuse what cannot be evaluated now
        for name in settings.datasets:
            if not (name.endswith(".jsonl") and os.path.isfile(name)):
                raise UsageError(f"$name evaluates question/answer .jsonl files, not {name!r}")
        self.settings = settings

    def _ask(self, target: EvalTarget, question: str) -> str:
        messages = [{"role": "user", "content": question}]
        body = {"model": target.model, "temperature": 0, "max_tokens": 16, "messages": messages}
        headers = {"Content-Type": "application/json"}
        if target.api_key:
            headers["Authorization"] = f"Bearer {target.api_key}"
        url = target.base_url + "/v1/chat/completions"
        request = urllib.request.Request(url, json.dumps(body).encode(), headers)
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.load(response)["choices"][0]["message"]["content"]

    def evaluate(self, target: EvalTarget, run_dir: str) -> EvalReport:
        scores, samples = [], {}
        for path in self.settings.datasets:
            with open(path, encoding="utf-8") as fh:
                rows = [json.loads(line) for line in fh if line.strip()][: self.settings.limit]
            task = os.path.splitext(os.path.basename(path))[0]
            done = [dict(row, output=self._ask(target, str(row["question"]))) for row in rows]
            right = sum(d["output"].strip() == str(d["answer"]).strip() for d in done)
            samples[task], n = done, len(done)
            scores.append(EvalScore(task, "exact_match", right / max(1, n), None, n))
        results = {"results": {s.task: {"exact_match": s.value} for s in scores}}
        return EvalReport(scores, results, samples)
''',
    },
    usage="swift eval --model <model> --eval_backend $name --eval_dataset qa.jsonl",
)

COMMANDS = FamilySnippet(
    family="commands",
    record_type="CommandRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.commands:main"'),
        ("arguments", '"$pkg.command_args:${Camel}Arguments"'),
        ("summary", '"Say hello from $dist"'),
    ),
    modules={
        "command_args.py": '''\
"""Flags of ``swift $name``. Light: `swift $name --help` imports only this module."""

from dataclasses import dataclass

from swift.arguments import arg


@dataclass
class ${Camel}Arguments:
    """Arguments of ``swift $name``."""

    greet: str = arg("world", "Who to greet.")
''',
        "commands.py": '''\
"""``swift $name``: the command body (it may import anything it needs)."""

from $pkg.command_args import ${Camel}Arguments


def main(args: ${Camel}Arguments) -> int:
    """Print a greeting; the return value is the exit status."""
    print(f"Hello, {args.greet}! (from $dist)")
    return 0
''',
    },
    usage="swift $name --greet Ada",
    tests={
        "test_commands.py": '''\
"""``swift $name`` runs from the swift command line."""

from swift.cli.main import main


def test_the_command_greets(swift_kernel, capsys):
    assert main(["$name", "--greet", "Ada"]) == 0
    assert "Hello, Ada!" in capsys.readouterr().out
''',
    },
)
