"""``swift rlhf --rlhf_type grpo`` end to end on the tiny model, with rewards and schedulers
from plugin files (``--external_plugins``)."""

from __future__ import annotations

import json
import math
import statistics
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

REWARD_PLUGIN = '''
import json, os
from swift.kernel import RewardRecord, hookimpl

def recorded_length(completions, solution, **kwargs):
    """Longer answers score more; records what it was given."""
    with open(os.environ["REWARD_RECORD"], "a") as fh:
        fh.write(json.dumps({"completions": len(completions), "solution": solution,
                             "prompts": kwargs["prompts"], "keys": sorted(kwargs)}) + "\\n")
    return [len(c) / 10 for c in completions]

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="recorded_length", load=f"{__name__}:recorded_length")
'''

SCHEDULER_PLUGIN = '''
import json, os
from swift.kernel import SchedulerRecord, hookimpl
from swift.scheduler import MultiTurnScheduler, append_messages

def _record(**event):
    with open(os.environ["SCHEDULER_RECORD"], "a") as fh:
        fh.write(json.dumps(event) + "\\n")

class HintThenRetry(MultiTurnScheduler):
    """After the first answer: a user hint, an assistant example the model did not
    write, and a request to answer again. Two model turns per rollout."""

    def check_finished(self, request, choice, turn):
        _record(call="check_finished", turn=turn, messages=len(request.messages))
        return turn >= 2

    def step(self, request, choice, turn):
        _record(call="step", turn=turn, solution=request.data.get("solution"))
        return append_messages(
            super().step(request, choice, turn),
            {"role": "user", "content": "HINT: add the numbers."},
            {"role": "assistant", "content": "INJECTED example answer."},
            {"role": "user", "content": "Now answer again."},
        )

@hookimpl
def swift_register_schedulers():
    yield SchedulerRecord(name="hint_then_retry", load=f"{__name__}:HintThenRetry")
'''


@pytest.fixture
def plugin_file(tmp_path):
    def write(name: str, source: str) -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        return str(path)

    return write


@pytest.fixture
def reward_record(tmp_path, monkeypatch, plugin_file):
    """``(plugin path, record file)`` of the recording reward."""
    record = tmp_path / "reward_calls.jsonl"
    monkeypatch.setenv("REWARD_RECORD", str(record))
    return plugin_file("length_reward.py", REWARD_PLUGIN), record


def test_a_plugin_file_reward_receives_every_dataset_column_and_the_adapter_trains(
    rlhf_args, rlhf, reward_record, read_logs, data_dir, tiny_model_dir
):
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    plugin, record = reward_record
    result = rlhf(rlhf_args("grpo", external_plugins=[plugin], reward_funcs=["recorded_length"]))

    solutions = {
        json.loads(line)["messages"][0]["content"]: json.loads(line)["solution"]
        for line in (data_dir / "prompts.jsonl").read_text().splitlines()
    }
    calls = read_logs(record)
    assert len(calls) == 2  # one round per step: 1 prompt × 2 completions
    for call in calls:
        assert call["completions"] == 2
        assert {"completion_ids", "messages", "prompts", "trainer_state"} <= set(call["keys"])
        for prompt, solution in zip(call["prompts"], call["solution"]):
            assert solutions[prompt[0]["content"]] == solution
    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert len(logs) == 2 and all(math.isfinite(r["loss"]) for r in logs)
    assert all("rewards/recorded_length/mean" in r and r["kl"] >= 0 for r in logs)
    ckpt = Path(result["last_model_checkpoint"])
    lora_b = [w for k, w in load_file(str(ckpt / "adapter_model.safetensors")).items() if "lora_B" in k]
    assert any(w.abs().sum() > 0 for w in lora_b)
    PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), ckpt)


def test_logged_advantages_are_normalised_within_each_group(rlhf_args, rlhf, reward_record, read_logs):
    plugin, _ = reward_record
    result = rlhf(
        rlhf_args(
            "grpo",
            external_plugins=[plugin],
            reward_funcs=["recorded_length"],
            num_generations=4,
            per_device_train_batch_size=4,
            gradient_accumulation_steps=2,
            max_steps=2,
            log_completions=True,
            max_completion_length=12,
        )
    )

    rows = read_logs(Path(result["output_dir"]) / "completions.jsonl")
    groups = defaultdict(list)
    for row in rows:
        groups[(row["round"], row["group"])].append(row)
    assert len(groups) == 4 and all(len(g) == 4 for g in groups.values())  # 2 prompts × 2 rounds
    for group in groups.values():
        rewards = [r["reward"] for r in group]
        assert len({r["prompt"][0]["content"] for r in group}) == 1
        mean, std = statistics.mean(rewards), statistics.stdev(rewards)
        for row in group:
            assert row["advantage"] == pytest.approx((row["reward"] - mean) / (std + 1e-4), abs=1e-4)
            assert row["rewards"]["recorded_length"] == pytest.approx(row["reward"])
        assert sum(r["advantage"] for r in group) == pytest.approx(0.0, abs=1e-4)
    logged = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    first_round = [r["reward"] for r in rows if r["round"] == 0]
    assert logged[0]["reward"] == pytest.approx(statistics.mean(first_round), rel=1e-5)


def test_beta_zero_trains_without_a_kl_term(rlhf_args, rlhf, reward_record, read_logs):
    plugin, _ = reward_record
    result = rlhf(rlhf_args("grpo", external_plugins=[plugin], reward_funcs=["recorded_length"], beta=0.0))

    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert logs and all("kl" not in r and math.isfinite(r["loss"]) for r in logs)


def test_a_multi_turn_scheduler_is_called_each_turn_and_only_model_turns_are_trained(
    rlhf_args, rlhf, reward_record, plugin_file, tmp_path, monkeypatch, read_logs
):
    reward_plugin, _ = reward_record
    sched_record = tmp_path / "scheduler_calls.jsonl"
    monkeypatch.setenv("SCHEDULER_RECORD", str(sched_record))
    scheduler = plugin_file("hint_scheduler.py", SCHEDULER_PLUGIN)

    result = rlhf(
        rlhf_args(
            "grpo",
            external_plugins=[reward_plugin, scheduler],
            reward_funcs=["recorded_length"],
            multi_turn_scheduler="hint_then_retry",
            max_turns=3,
            log_completions=True,
        )
    )

    calls = read_logs(sched_record)
    checks = [c["turn"] for c in calls if c["call"] == "check_finished"]
    steps = [c for c in calls if c["call"] == "step"]
    assert sorted(checks) == [1] * 4 + [2] * 4  # 2 steps × 2 rollouts, two turns each
    assert len(steps) == 4 and all(s["turn"] == 1 and s["solution"] for s in steps)
    rows = read_logs(Path(result["output_dir"]) / "completions.jsonl")
    assert len(rows) == 4
    for row in rows:
        assert row["model_written"] == [False, True, False, False, False, True]
        roles = [m["role"] for m in row["completion"]]
        assert roles == ["assistant", "user", "assistant", "user", "assistant"]
    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert logs and all(math.isfinite(r["loss"]) for r in logs)


def test_the_loss_mask_of_a_multi_turn_rollout_covers_exactly_the_model_answers(
    tiny_model_dir, plugin_file, tmp_path, monkeypatch, swift_kernel
):
    from swift_trl.grpo.engines import LocalEngine
    from swift_trl.grpo.sampling import GroupSampler

    from swift.arguments import RLHFArguments
    from swift.protocol import RequestConfig
    from swift.scheduler import load_scheduler
    from swift.services import load_model
    from swift.template import get_template

    monkeypatch.setenv("SCHEDULER_RECORD", str(tmp_path / "calls.jsonl"))
    swift_kernel.add_plugin_files([plugin_file("hint_scheduler.py", SCHEDULER_PLUGIN)])
    args = RLHFArguments(model=tiny_model_dir, rlhf_type="grpo", dataset=["unused"])
    model, tokenizer, record = load_model(args)
    args.template = record.template
    template = get_template(record.template, tokenizer, args)
    engine = LocalEngine(args, model, tokenizer, template, batch_size=4)
    sampler = GroupSampler(
        engine,
        template,
        2,
        RequestConfig(max_tokens=6, temperature=1.0),
        load_scheduler("hint_then_retry", max_turns=3),
    )
    row = {"messages": [{"role": "user", "content": "what is 2 plus 3?"}], "solution": "5"}

    samples = sampler.sample([row])
    engine.close()

    assert len(samples) == 2
    for sample in samples:
        trajectory = sample.trajectory
        runs, current = [], []
        for token, trained in zip(sample.input_ids, sample.completion_mask):
            if trained:
                current.append(token)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        model_answers = [m["content"] for m, w in zip(trajectory.messages, trajectory.model_written) if w]
        assert len(model_answers) == 2 and len(runs) == 2
        # every trained token is one the engine sampled, answer by answer; nothing else is trained
        assert runs == [list(c.token_ids) for c in trajectory.choices]
        # the untrained rest: the first prompt, the template's end of turn, the injected turns
        first_prompt = template.encode_prompt(trajectory.messages[:1])
        assert sample.input_ids[: len(first_prompt)] == first_prompt
        first_answer = len(first_prompt) + len(runs[0])
        assert sample.input_ids[len(first_prompt) : first_answer] == runs[0]
        between = tokenizer.decode(sample.input_ids[first_answer : len(sample.input_ids) - len(runs[1])])
        assert "INJECTED example answer." in between and "HINT: add the numbers." in between
        assert between.endswith("<|im_start|>assistant\n")


def test_multi_turn_rollouts_train_the_sampled_tokens_even_when_their_text_encodes_otherwise(
    tiny_model_dir, plugin_file, tmp_path, monkeypatch, swift_kernel
):
    # an engine whose answers' text re-encodes to other ids (as a cut multi-byte character
    # or a rare merge does): the next turn must still carry the sampled ids
    from swift_trl.grpo.sampling import GroupSampler
    from transformers import AutoTokenizer

    from swift.protocol import ChatCompletionResponse, RequestConfig
    from swift.scheduler import load_scheduler
    from swift.template import get_template

    monkeypatch.setenv("SCHEDULER_RECORD", str(tmp_path / "calls.jsonl"))
    swift_kernel.add_plugin_files([plugin_file("hint_scheduler.py", SCHEDULER_PLUGIN)])
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    template = get_template("qwen3", tokenizer)
    # a word the tokenizer has as one token, sampled letter by letter
    vocab = tokenizer.get_vocab()
    word = next(w for w in sorted(vocab) if len(w) >= 3 and w.isalpha() and all(c in vocab for c in w))
    pieces = [vocab[c] for c in word]
    merged = tokenizer.encode(word, add_special_tokens=False)
    assert merged != pieces  # its text re-encodes as the one token: the text path would train that
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    prompts = []
    n = len(pieces) + 1

    class SplitEngine:
        def infer(self, requests, config=None):
            out = []
            for r in requests:
                ids = r.prompt_ids if r.prompt_ids is not None else template.encode_prompt(r.messages)
                prompts.append(list(ids))
                answer = {"index": 0, "finish_reason": "stop", "token_ids": [*pieces, end],
                          "message": {"role": "assistant", "content": word}}  # fmt: skip
                out.append(ChatCompletionResponse.from_dict(
                    {"model": "m", "choices": [answer], "prompt_token_ids": list(ids),
                     "usage": {"prompt_tokens": len(ids), "completion_tokens": n, "total_tokens": len(ids) + n}}))  # fmt: skip
            return out

    sampler = GroupSampler(SplitEngine(), template, 2, RequestConfig(max_tokens=4), load_scheduler("hint_then_retry"))
    samples = sampler.sample([{"messages": [{"role": "user", "content": "2+3?"}], "solution": "5"}])

    for sample in samples:
        trained = [t for t, m in zip(sample.input_ids, sample.completion_mask) if m]
        assert trained == [*pieces, end, *pieces, end]  # only sampled tokens, never the merged one
        assert merged[0] not in sample.input_ids
        # the second prompt the engine saw: the first prompt, the sampled answer, then the environment
        assert prompts[-1][: len(prompts[0]) + n] == prompts[0] + [*pieces, end]
        assert sample.input_ids == prompts[-1] + [*pieces, end]


def test_a_round_that_does_not_split_into_groups_is_refused(rlhf_args, rlhf, reward_record):
    from swift.kernel import UsageError

    plugin, _ = reward_record
    with pytest.raises(UsageError, match="num_generations"):
        rlhf(
            rlhf_args(
                "grpo",
                external_plugins=[plugin],
                reward_funcs=["recorded_length"],
                per_device_train_batch_size=3,
                num_generations=2,
            )
        )


def test_num_iterations_trains_several_times_on_one_sampled_round(rlhf_args, rlhf, reward_record, read_logs):
    plugin, record = reward_record
    result = rlhf(
        rlhf_args(
            "grpo",
            external_plugins=[plugin],
            reward_funcs=["recorded_length"],
            num_iterations=2,
            max_steps=2,
            learning_rate=5e-2,
        )
    )

    assert len(read_logs(record)) == 1  # one round sampled and scored for both steps
    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert len(logs) == 2 and all(math.isfinite(r["loss"]) for r in logs)
    assert "reward" in logs[0] and "reward" not in logs[1]  # the second step samples nothing


def test_dapo_trains_with_its_round_level_token_mean(rlhf_args, rlhf, reward_record, read_logs):
    plugin, _ = reward_record
    result = rlhf(
        rlhf_args("grpo", external_plugins=[plugin], reward_funcs=["recorded_length"], loss_type="dapo", beta=0.0)
    )

    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert logs and all(math.isfinite(r["loss"]) for r in logs)


@pytest.mark.parametrize("adapter", [False, True])
def test_padding_free_log_probabilities_and_gradients_equal_the_padded_batchs(tiny_model_dir, adapter):
    import torch
    from swift_transformers.api import use_packed_attention
    from swift_trl.grpo.batches import pad_micro_batch
    from swift_trl.grpo.loss import packed_token_logps, token_logps
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    if adapter:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(target_modules=["q_proj", "v_proj"], init_lora_weights="gaussian"))
    model.train()
    sequences = [list(range(5, 17)), list(range(20, 27)), list(range(40, 58))]
    masks = [[0] * 6 + [1] * 6, [0] * 4 + [1] * 3, [0] * 9 + [1] * 9]
    batch = pad_micro_batch(sequences, masks, pad_id=0)
    completion = batch["completion_mask"][:, batch["start"] :].float()

    def run(fn):
        model.zero_grad()
        logps = fn(model, batch["input_ids"], batch["attention_mask"], batch["start"], 0.7)
        (logps * completion).sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        return logps.detach() * completion, grads

    padded, padded_grads = run(token_logps)
    use_packed_attention(model)
    packed, packed_grads = run(packed_token_logps)
    torch.testing.assert_close(packed, padded, atol=1e-5, rtol=1e-5)
    assert packed_grads.keys() == padded_grads.keys()
    for name, grad in padded_grads.items():
        torch.testing.assert_close(packed_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)


def test_grpo_padding_free_trains_like_padded_batches(rlhf_args, rlhf, reward_record, read_logs):
    plugin, _ = reward_record
    runs = {}
    for padding_free in (False, True):
        result = rlhf(rlhf_args("grpo", external_plugins=[plugin], reward_funcs=["recorded_length"],
                                padding_free=padding_free))  # fmt: skip
        runs[padding_free] = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert len(runs[True]) == len(runs[False]) > 0
    for a, b in zip(runs[True], runs[False]):
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-4)
        assert a["reward"] == pytest.approx(b["reward"], abs=1e-6)
