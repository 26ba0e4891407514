"""The `swift` command line as a user meets it: real subprocesses, exit codes, output."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

COMMANDS = [
    "pt",
    "sft",
    "rlhf",
    "infer",
    "merge-lora",
    "export",
    "deploy",
    "rollout",
    "sample",
    "eval",
    "app",
    "web-ui",
]
HEAVY = ["torch", "transformers", "peft", "trl", "datasets", "accelerate", "vllm", "fastapi", "uvicorn", "gradio"]


def swift(*argv, env=None, cwd=None, timeout=120):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", *argv],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def test_help_lists_every_command_with_a_summary():
    result = swift("--help")
    assert result.returncode == 0
    for command in [*COMMANDS, "plugins"]:
        line = next((ln for ln in result.stdout.splitlines() if ln.strip().startswith(command + " ")), None)
        assert line is not None, f"{command} missing from swift --help"
        assert len(line.split(None, 1)[1]) > 10


def test_no_command_prints_help_and_fails():
    result = swift()
    assert result.returncode == 2
    assert "commands:" in result.stdout


def test_unknown_command_suggests_the_closest():
    result = swift("sfft")
    assert result.returncode == 2
    assert "Did you mean 'sft'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_sft_help_shows_argument_groups_with_defaults():
    result = swift("sft", "--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for group in ("ModelArguments", "DataArguments", "TemplateArguments", "LoraArguments"):
        assert group in out
    assert "--lora_rank INT" in out and "[default: 8]" in out
    assert "--learning_rate" in out and "--num_train_epochs" in out


def test_unknown_flag_names_the_closest_valid_flag():
    result = swift("sft", "--lora_rnak", "4")
    assert result.returncode == 2
    assert "--lora_rank" in result.stderr
    assert "Traceback" not in result.stderr


def test_command_without_provider_exits_2_naming_the_package():
    result = swift("sft", "--model", "m", "--dataset", "d.jsonl", env={"SWIFT_DISABLE_PLUGINS": "transformers"})
    assert result.returncode == 2, result.stderr
    assert "swift-transformers" in result.stderr
    assert "Traceback" not in result.stderr


def test_declared_application_command_names_its_plugin():
    result = swift("web-ui", env={"SWIFT_DISABLE_PLUGINS": "ui"})
    assert result.returncode == 2
    assert "swift-ui" in result.stderr and "pip install" in result.stderr


PLUGIN_FILE = '''
from dataclasses import dataclass, field
from swift.kernel import hookimpl, CommandRecord, ArgumentGroupRecord, RewardRecord

@dataclass
class HelloArguments:
    """Hello: greet someone."""
    name: str = field(default="world", metadata={"help": "who to greet"})

@dataclass
class ShoutArguments:
    """Shout: contributed by a plugin."""
    shout: bool = field(default=False, metadata={"help": "upper-case the greeting"})

def hello(args):
    text = f"hello {args.name}"
    print(text.upper() if args.shout else text)

@hookimpl
def swift_register_commands():
    yield CommandRecord(name="hello", load=f"{__name__}:hello", arguments=f"{__name__}:HelloArguments",
                        summary="Say hello")

@hookimpl
def swift_register_arguments():
    yield ArgumentGroupRecord(name="shout", load=f"{__name__}:ShoutArguments", commands=("hello",))

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="file_reward", load=f"{__name__}:hello")
'''


@pytest.mark.parametrize("flag", ["--external_plugins", "--custom_register_path"])
def test_plugin_file_adds_a_command_and_its_flags(tmp_path, flag):
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text(textwrap.dedent(PLUGIN_FILE))
    result = swift("hello", flag, str(plugin), "--name", "swift", "--shout", "true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "HELLO SWIFT"
    helped = swift("hello", flag, str(plugin), "--help")
    assert "--shout" in helped.stdout and "Shout" in helped.stdout


def test_plugin_file_is_inherited_by_subprocesses_through_the_environment(tmp_path):
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text(textwrap.dedent(PLUGIN_FILE))
    result = swift("hello", "--name", "child", env={"SWIFT_EXTERNAL_PLUGINS": str(plugin)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello child"


@pytest.mark.parametrize("argv", [["--help"], ["sft", "--help"], ["plugins", "list"], ["infer", "--help"]])
def test_light_commands_import_no_heavy_library(argv):
    code = textwrap.dedent(f"""
        import json, sys
        from swift.cli.main import main
        rc = main({argv!r})
        heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
        print("HEAVY=" + json.dumps(heavy), file=sys.stderr)
        sys.exit(rc)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    heavy_line = next(ln for ln in result.stderr.splitlines() if ln.startswith("HEAVY="))
    assert json.loads(heavy_line[len("HEAVY=") :]) == []


def test_version_flag():
    result = swift("--version")
    assert result.returncode == 0 and result.stdout.startswith("swift ")
