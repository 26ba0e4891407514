"""GRPO against a real ``swift rollout --infer_backend pt`` subprocess, as users run it:

``swift rlhf --rlhf_type grpo --use_vllm true --vllm_mode server --vllm_server_host H
--vllm_server_port P`` samples on the server and pushes the policy after each step; the
server then answers exactly like the policy checkpoint of that step.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from swift.protocol import InferRequest, RequestConfig

SHORT_REWARD = """
from swift.kernel import RewardRecord, hookimpl

def short(completions, **kwargs):
    return [-len(c) / 10 for c in completions]

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="short", load=f"{__name__}:short")
"""

QUESTIONS = ("what is 2 plus 3?", "hello", "write python code")
PROBE = RequestConfig(max_tokens=6, temperature=0, logprobs=True)


def _swift() -> list[str]:
    script = Path(sys.executable).with_name("swift")
    return [str(script)] if script.exists() else [sys.executable, "-m", "swift.cli.main"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


KEY = "grpo-rollout-key"


@pytest.fixture
def rollout_env(request):
    """Extra environment of the ``swift rollout`` process (a test sets ``$SWIFT_API_KEY`` through ``indirect``)."""
    return getattr(request, "param", {})


@pytest.fixture
def rollout_server(tiny_model_path, tmp_path, rollout_env):
    """``swift rollout`` in a subprocess; yields ``(port, client)`` once ``/health`` answers."""
    from swift_trl.grpo.client import RolloutClient, RolloutServerError

    port = _free_port()
    log_path = tmp_path / "rollout.log"
    env = {**os.environ, "SWIFT_PLUGINS_STRICT": "1", "OMP_NUM_THREADS": "1", **rollout_env}
    argv = [
        *_swift(), "rollout", "--model", str(tiny_model_path), "--infer_backend", "pt",
        "--host", "127.0.0.1", "--port", str(port), "--max_batch_size", "8",
        "--verbose", "false", "--log_interval", "0",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        client = RolloutClient(f"http://127.0.0.1:{port}", timeout=300, api_key=rollout_env.get("SWIFT_API_KEY"))
    except RolloutServerError:
        proc.kill()
        pytest.fail(f"swift rollout did not start:\n{log_path.read_text()}")
    yield port, client
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(120) == 130, log_path.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in log_path.read_text()


def _probe(engine) -> list:
    """Greedy answers with logprobs: what the served weights say about fixed questions."""
    requests = [InferRequest(messages=[{"role": "user", "content": q}]) for q in QUESTIONS]
    return [r.choices[0] for r in engine.infer(requests, PROBE)]


def _same_answers(served: list, local: list) -> bool:
    return all(
        a.message.content == b.message.content
        and all(abs(x.logprob - y.logprob) < 1e-3 for x, y in zip(a.logprobs.content, b.logprobs.content))
        for a, b in zip(served, local)
    )


def _local_engine(**flags):
    from swift.arguments import InferArguments
    from swift.pipelines.infer_engine import create_engine

    return create_engine(InferArguments(infer_backend="pt", max_batch_size=8, **flags))


def _grpo(run_swift, model, rlhf_data, tmp_path, port, *extra, env=None):
    # two prompts of four samples per step: rewards that differ within a group, so the
    # policy surely moves
    plugin = tmp_path / "short_reward.py"
    plugin.write_text(textwrap.dedent(SHORT_REWARD))
    return run_swift(
        "rlhf", "--rlhf_type", "grpo", "--model", str(model), "--dataset", rlhf_data["prompts"],
        "--output_dir", str(tmp_path / "out"), "--external_plugins", str(plugin),
        "--reward_funcs", "short", "--num_generations", "4", "--per_device_train_batch_size", "8",
        "--max_completion_length", "8", "--temperature", "1.0", "--learning_rate", "0.01",
        "--max_steps", "2", "--save_steps", "1", "--logging_steps", "1",
        "--split_dataset_ratio", "0", "--report_to", "none", "--lora_dropout", "0",
        "--use_vllm", "true", "--vllm_mode", "server",
        "--vllm_server_host", "127.0.0.1", "--vllm_server_port", str(port), *extra, env=env,
    )  # fmt: skip


def _checkpoint(tmp_path: Path, step: int) -> Path:
    [found] = (tmp_path / "out").glob(f"*/checkpoint-{step}")
    return found


def test_grpo_with_lora_pushes_its_adapter_and_the_server_answers_like_the_checkpoint(
    run_swift, tiny_model_path, rlhf_data, tmp_path, rollout_server
):
    port, client = rollout_server
    before = _probe(client)

    done = _grpo(run_swift, tiny_model_path, rlhf_data, tmp_path, port, "--train_type", "lora")

    assert done.returncode == 0, done.stderr[-3000:]
    assert client.health()["version"] == 1  # pushed after step 1, before the second round
    after = _probe(client)
    assert not _same_answers(after, before)
    local = _local_engine(model=str(tiny_model_path), adapters=[str(_checkpoint(tmp_path, 1))])
    try:
        assert _same_answers(after, _probe(local))
    finally:
        local.close()


def test_grpo_with_full_training_pushes_chunked_weights_the_server_applies(
    run_swift, tiny_model_path, rlhf_data, tmp_path, rollout_server
):
    port, client = rollout_server
    before = _probe(client)

    done = _grpo(
        run_swift, tiny_model_path, rlhf_data, tmp_path, port,
        "--train_type", "full", "--move_model_batches", "3",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    assert client.health()["version"] == 1  # three parts, one update
    after = _probe(client)
    assert not _same_answers(after, before)
    local = _local_engine(model=str(_checkpoint(tmp_path, 1)))
    try:
        assert _same_answers(after, _probe(local))
    finally:
        local.close()


@pytest.mark.parametrize("rollout_env", [{"SWIFT_API_KEY": KEY}], indirect=True)
def test_grpo_against_a_keyed_server_pushes_with_the_key_from_the_environment(
    run_swift, tiny_model_path, rlhf_data, tmp_path, rollout_server
):
    from swift_trl.grpo.client import RolloutClient, RolloutServerError

    port, client = rollout_server
    keyless = RolloutClient(f"http://127.0.0.1:{port}", timeout=60, wait=False)
    with pytest.raises(RolloutServerError, match="401"):
        keyless.push_path(str(tmp_path))

    # the key reaches the trainer through the environment, never its command line
    done = _grpo(
        run_swift, tiny_model_path, rlhf_data, tmp_path, port, "--train_type", "lora", env={"SWIFT_API_KEY": KEY}
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert client.health()["version"] == 1
