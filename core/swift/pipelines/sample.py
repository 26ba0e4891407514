"""Body of ``swift sample``: several responses per prompt, optionally scored and filtered.

For every row of ``--dataset`` (the shard ``--data_range`` picks) the engine of
``--sampler_engine`` generates ``--num_return_sequences`` responses in one request
(``n``). The result is ``<output_dir>/<output_file>``, JSONL in ms-swift's layout:
**one line per kept response**, each a complete training row::

    {"id": "<md5 of the source row>",
     "messages": [...prompt, {"role": "assistant", "content": response}],
     ...other columns of the row (solution …),
     "orm_score": 1.0, "prm_score": 0.7, "score": 10.7,   # only with --orm_model / --prm_model
     "rejected_response": "..."}                          # only with rewards: the worst response

Without rewards every response is written (``num_return_sequences`` lines per prompt).
With rewards only passing responses are kept, the best ``--n_best_to_keep`` per prompt
(see :mod:`swift.pipelines.sample_rewards`). Lines of one prompt share its ``id``, so
``--cache_files`` of an earlier run let a prompt with enough responses skip generation.
The file is written under a ``.tmp`` name and renamed when complete; an existing
result is left alone unless ``--override_exist_file true``.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sys
from typing import TYPE_CHECKING, Any

from swift.kernel import SwiftError, UsageError, load_object
from swift.pipelines.infer_engine import infer_each
from swift.pipelines.sample_rewards import RewardScorer
from swift.pipelines.sample_rows import load_rows, make_request, read_cache, row_id, split_prompt
from swift.protocol import request_config_from_args

if TYPE_CHECKING:
    from swift.arguments import SamplingArguments


def sample_main(args: SamplingArguments) -> dict:
    """Run ``swift sample`` for ``args`` (``SamplingArguments``).

    Returns:
        ``{"result_path": path, "num_prompts": n, "num_lines": m}``; with an existing
        result and no ``--override_exist_file``, ``{"result_path": path, "skipped": True}``.
    """
    if args.sampler_type != "sample":
        raise UsageError(
            f"--sampler_type {args.sampler_type} is not available; this swift samples with --sampler_type sample."
        )
    if args.num_return_sequences < 1:
        raise UsageError(f"--num_return_sequences must be >= 1, got {args.num_return_sequences}.")
    path = os.path.join(args.output_dir, args.output_file)
    if os.path.exists(path) and not args.override_exist_file:
        print(
            f"swift sample: {path} exists; pass --override_exist_file true to sample again",
            file=sys.stderr,
        )
        return {"result_path": path, "skipped": True}
    scorer = RewardScorer(args)  # before the model loads: a misspelled reward fails at once
    rows = load_rows(args)
    cache = read_cache(args.cache_files)
    engine = None if args.sampler_engine == "no" else create_sampler_engine(args)
    if getattr(engine, "tokenizer", None) is not None:
        # length-based rewards (cosine, soft_overlong) count tokens with it
        scorer.extras["tokenizer"] = engine.tokenizer
    try:
        lines, prompts = _run(engine, args, scorer, rows, cache, path)
    finally:
        if engine is not None:
            engine.close()
    print(f"swift sample: wrote {lines} responses for {prompts} prompts to {path}", file=sys.stderr)
    return {"result_path": path, "num_prompts": prompts, "num_lines": lines}


def create_sampler_engine(args: SamplingArguments) -> Any:
    """The engine of ``--sampler_engine``, batching all responses of a prompt batch together."""
    from swift.pipelines.infer_engine import engine_record

    try:
        record = engine_record(args.sampler_engine)
    except SwiftError as exc:
        raise UsageError(f"--sampler_engine {args.sampler_engine}: {exc}") from exc
    engine_class = load_object(record.load, what=f"engine {record.name!r}")
    kwargs = {"max_batch_size": args.num_sampling_per_gpu_batch_size * args.num_return_sequences}
    kwargs.update(args.engine_kwargs or {})
    _check_engine_kwargs(engine_class, kwargs, record.name)
    return engine_class(args, **kwargs)


def _check_engine_kwargs(engine_class: type, kwargs: dict, name: str) -> None:
    parameters = inspect.signature(engine_class).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = sorted(set(kwargs) - set(parameters))
    if unknown:
        accepted = ", ".join(p for p in parameters if p != "args") or "none"
        raise UsageError(f"--engine_kwargs: engine {name!r} does not take {', '.join(unknown)} (it takes {accepted}).")


def _refused(args: SamplingArguments, skipped: list[str], *, uid: str, error: Exception) -> None:
    reason = f"row {uid}: {error}"
    if getattr(args, "strict", False):
        raise UsageError(f"{reason} (--strict stops at the first row that cannot be sampled)") from error
    skipped.append(reason)


def _run(
    engine: Any, args: SamplingArguments, scorer: RewardScorer, rows: list[dict], cache: dict, path: str
) -> tuple[int, int]:
    """Sample batch after batch into ``path``; returns (lines written, prompts sampled)."""
    os.makedirs(args.output_dir, exist_ok=True)
    size = max(int(args.num_sampling_per_gpu_batch_size), 1)
    batches = math.ceil(len(rows) / size)
    if args.num_sampling_per_gpu_batches is not None:
        batches = min(batches, args.num_sampling_per_gpu_batches)
    tmp = path + ".tmp"
    lines = prompts = 0
    skipped: list[str] = []
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            for number in range(batches):
                chunk = rows[number * size : (number + 1) * size]
                batch = sample_batch(engine, args, scorer, chunk, cache, seed=args.seed + number, skipped=skipped)
                for record in batch:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    lines += 1
                prompts += len(chunk)
                out.flush()
        os.replace(tmp, path)
        if skipped:
            print(f"swift sample: skipped {len(skipped)} of {prompts} prompts, first {skipped[0]}", file=sys.stderr)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return lines, prompts


def sample_batch(
    engine: Any,
    args: SamplingArguments,
    scorer: RewardScorer,
    rows: list[dict],
    cache: dict,
    *,
    seed: int | None = None,
    skipped: list[str] | None = None,
) -> list[dict]:
    """Sample, score and select for one batch of rows; returns the result records.

    A prompt the engine refuses (an image it cannot read …) is left out and its reason
    appended to ``skipped``; with ``--strict`` it stops the run.
    """
    skipped = skipped if skipped is not None else []
    n = args.num_return_sequences
    prompts = []
    for row in rows:
        messages, reference = split_prompt(row, args.system)
        prompts.append((row, row_id(row), messages, reference))
    todo = [i for i, p in enumerate(prompts) if len(cache.get(p[1], ())) < n]
    generated: dict[int, list[str]] = {}
    if todo:
        if engine is None:
            raise UsageError(
                f"--sampler_engine no: {len(todo)} prompt(s) have fewer than {n} responses in "
                "--cache_files; choose an engine to generate them."
            )
        config = request_config_from_args(args, n=n, stream=False, seed=seed)
        asked, requests = [], []
        for i in todo:
            try:
                requests.append(make_request(prompts[i][2], prompts[i][0]))
                asked.append(i)
            except ValueError as exc:  # its tags and media do not match
                _refused(args, skipped, uid=prompts[i][1], error=exc)
        for i, response in zip(asked, infer_each(engine, requests, config)):
            if isinstance(response, Exception):
                _refused(args, skipped, uid=prompts[i][1], error=response)
                continue
            generated[i] = [choice.message.content for choice in response.choices]
    records = []
    for i, (row, uid, messages, reference) in enumerate(prompts):
        if i in todo and i not in generated:
            continue  # refused: counted in skipped
        completions = generated.get(i) or cache[uid][:n]
        kept, rejected = scorer.select(scorer.score(row, messages, completions, reference))
        extra = {k: v for k, v in row.items() if k != "messages"}
        for item in kept:
            record = {
                **extra,
                "id": uid,
                "messages": [*messages, {"role": "assistant", "content": item.text}],
            }
            if scorer.orm is not None:
                record["orm_score"] = item.orm
            if scorer.prm is not None:
                record["prm_score"] = item.prm
            if scorer.active:
                record["score"] = item.score
            if rejected is not None and rejected.index != item.index:
                record["rejected_response"] = rejected.text
            records.append(record)
    return records
