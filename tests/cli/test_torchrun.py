"""NPROC_PER_NODE / NNODES relaunch pt, sft, rlhf and infer under torchrun."""

import sys

import pytest

from swift.cli.torchrun import should_relaunch, torchrun_command
from swift.kernel import get_kernel


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"NPROC_PER_NODE": "2"}, True),
        ({"NNODES": "2"}, True),
        ({"NPROC_PER_NODE": "2", "LOCAL_RANK": "0"}, False),
        ({"NPROC_PER_NODE": "2", "TORCHELASTIC_RUN_ID": "x"}, False),
    ],
)
def test_relaunch_only_outside_torchrun_when_asked(environ, expected):
    assert should_relaunch(environ) is expected


def test_torchrun_command_forwards_the_rendezvous_variables():
    env = {"NPROC_PER_NODE": "4", "NNODES": "2", "NODE_RANK": "1", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29555"}
    cmd = torchrun_command("sft", ["--model", "m", "--dataset", "a", "b"], env)
    assert cmd[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--nproc_per_node=4" in cmd and "--nnodes=2" in cmd and "--node_rank=1" in cmd
    assert "--master_addr=10.0.0.1" in cmd and "--master_port=29555" in cmd
    assert cmd[-8:] == ["-m", "swift.cli.main", "sft", "--model", "m", "--dataset", "a", "b"]


def test_defaults_to_a_single_local_node():
    cmd = torchrun_command("infer", [], {"NPROC_PER_NODE": "2"})
    assert "--nnodes=1" in cmd and "--master_addr=127.0.0.1" in cmd and "--master_port=29500" in cmd


def test_exactly_the_training_and_inference_commands_are_distributed():
    commands = get_kernel().registry("commands")
    distributed = {r.name for r in commands.records() if r.distributed}
    assert distributed == {"pt", "sft", "rlhf", "infer"}
