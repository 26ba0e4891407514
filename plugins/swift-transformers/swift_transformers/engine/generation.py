"""Run one batch of jobs through ``model.generate`` and deliver what each job gets.

Prompts are left-padded into one tensor. Per-request rules that ``generate``
cannot express for a batch (each row's own ``max_tokens`` and stop strings,
logprobs, streaming, a client that left) run in a stopping criterion that sees
every new token: a row that is over is marked finished there, so ``generate``
pads it and stops when all rows are done, and its client is answered at once.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import (
    LogitsProcessor,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
)

from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    ChatCompletionResponseStreamChoice,
    ChatCompletionStreamResponse,
    ChatMessage,
    ChoiceLogprobs,
    DeltaMessage,
    RequestConfig,
    TokenLogprob,
    TopLogprob,
    UsageInfo,
)
from swift_transformers.engine import scoring
from swift_transformers.engine.batching import Job
from swift_transformers.engine.rows import Row
from swift_transformers.train.collator import TOKEN_TYPE_KEYS


@dataclass(frozen=True)
class SamplingParams:
    """The settings one ``generate`` call shares: part of the batching key."""

    do_sample: bool
    temperature: float | None
    top_k: int | None
    top_p: float | None
    repetition_penalty: float | None
    num_beams: int
    seed: int | None
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: tuple[tuple[int, float], ...] = ()
    ignore_eos: bool = False

    @property
    def penalised(self) -> bool:
        """Whether OpenAI's presence/frequency penalties or a logit bias apply."""
        return bool(self.presence_penalty or self.frequency_penalty or self.logit_bias)


@dataclass
class JobSpec:
    """What the batch runner needs to know about a job besides its prompt."""

    config: RequestConfig
    params: SamplingParams
    adapter: str | None
    limit: int
    stops: tuple[str, ...]
    model_name: str
    request_id: str
    end_ids: frozenset[int] = frozenset()
    prompt_logprobs: list[TokenLogprob] | None = None
    media: dict[str, Any] = dataclasses.field(default_factory=dict)


class _ScoreTap(LogitsProcessor):
    # Keeps the scores of the current step (after penalties, before temperature and
    # top-k/top-p, which transformers applies after custom processors) for logprobs.
    def __init__(self) -> None:
        self.scores: torch.Tensor | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.scores = scores
        return scores


# Most logits (prompts × positions × vocabulary) one echo scoring pass computes: 2^27 fp32 = 512 MiB.
SCORE_ELEMENTS = 2**27
# Most attention-mask elements (rows × width²) of a packed scoring pass: 2^26 fp32 = 256 MiB.
MASK_ELEMENTS = 2**26


class OpenAIPenalties(LogitsProcessor):
    """OpenAI's ``presence_penalty``, ``frequency_penalty`` and ``logit_bias`` on a batch.

    The penalties count the tokens of the answer so far (the columns after the
    left-padded prompts, ``prompt_width``), as OpenAI and vLLM define them:
    ``logit -= frequency * count + presence * (count > 0)``.
    """

    def __init__(self, params: SamplingParams, prompt_width: int):
        self.presence = params.presence_penalty
        self.frequency = params.frequency_penalty
        self.bias = params.logit_bias
        self.width = prompt_width

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """The step's scores with the penalties and the bias applied."""
        scores = scores.clone()
        answer = input_ids[:, self.width :]
        if (self.presence or self.frequency) and answer.shape[1]:
            counts = torch.zeros_like(scores)
            counts.scatter_add_(1, answer, torch.ones_like(answer, dtype=scores.dtype))
            scores -= self.frequency * counts + self.presence * (counts > 0).to(scores.dtype)
        if self.bias:
            ids = torch.tensor([t for t, _ in self.bias], device=scores.device)
            scores[:, ids] += torch.tensor([b for _, b in self.bias], device=scores.device, dtype=scores.dtype)
        return scores


class _RowWatch(StoppingCriteria):
    def __init__(self, runner: BatchRunner, jobs: list[Job], rows: list[list[Row]], tap: _ScoreTap | None):
        self.runner, self.jobs, self.rows, self.tap = runner, jobs, rows, tap
        self.flat = [row for job_rows in rows for row in job_rows]
        self.delivered = [False] * len(jobs)

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        tokens = input_ids[:, -1].tolist()
        entries = self.runner.logprob_entries(self.tap, tokens, self.flat)
        for i, (job, job_rows) in enumerate(zip(self.jobs, self.rows)):
            if self.delivered[i]:
                continue
            for row in job_rows:
                row.step(tokens[row.slot], entries.get(row.slot))
            if job.sink.cancelled:
                for row in job_rows:
                    row.stop("stop")
            self.delivered[i] = self.runner.deliver(job, job_rows)
        return torch.tensor([row.done for row in self.flat], dtype=torch.bool, device=input_ids.device)


class BatchRunner:
    """Turns jobs into a ``generate`` call and rows into responses.

    Args:
        model: The (possibly peft-wrapped) causal LM.
        decode: ``(ids, skip_special_tokens) -> text`` (thread-safe).
        token_text: ``id -> text`` of a single token, special tokens kept.
        pad_id: Token id used for left padding.
        end_ids: Token ids that end an answer.
        activate: ``fn(adapter_name) -> context manager`` selecting the adapter.
    """

    def __init__(
        self,
        model,
        decode: Callable[[Sequence[int], bool], str],
        token_text: Callable[[int], str],
        pad_id: int,
        end_ids: frozenset[int],
        activate: Callable,
    ):
        self.model = model
        self.decode = decode
        self.token_text = token_text
        self.pad_id = pad_id
        self.end_ids = end_ids
        self.activate = activate

    def __call__(self, jobs: list[Job]) -> None:
        """Generate for ``jobs`` in one batch and deliver every row's result to its sink."""
        spec0: JobSpec = jobs[0].payload
        rows = [self._rows(job) for job in jobs]
        one_greedy = False
        if spec0.config.echo:
            # one greedy token after an echoed prompt (what lm-eval asks for): the scoring pass's
            # last position is that token, so no second forward pass through generate()
            one_greedy = spec0.limit == 1 and self._plain_greedy(spec0.params)
            scored = self.prompt_logprobs(
                [job.prompt_ids for job in jobs], [job.payload.config for job in jobs], spec0.adapter, one_greedy
            )
            for job, job_rows, (entries, following) in zip(jobs, rows, scored):
                job.payload.prompt_logprobs = entries
                if following is not None:
                    token, entry = following
                    for row in job_rows:
                        row.step(token, entry if row.want_logprobs else None)
        if one_greedy or spec0.limit == 0:  # the scoring pass answered it (max_tokens 0: the logprobs are all)
            for job, job_rows in zip(jobs, rows):
                for row in job_rows:
                    row.stop("length")
                self.deliver(job, job_rows)
            return
        slot = 0
        for job_rows in rows:
            for row in job_rows:
                row.slot = slot
                slot += 1
        prompts = [job.prompt_ids for job, job_rows in zip(jobs, rows) for _ in job_rows]
        input_ids, attention_mask = self._left_pad(prompts)
        beams = spec0.params.num_beams > 1
        kwargs = {
            "generation_config": self._generation_config(spec0.params, max(s.payload.limit for s in jobs)),
            **self._media_inputs(jobs, rows, input_ids.shape[1]),
        }
        processors = [OpenAIPenalties(spec0.params, input_ids.shape[1])] if spec0.params.penalised else []
        watch = None
        if not beams:
            # Beam search reorders rows between steps, so rows are followed after the fact there.
            wants_logprobs = any(job.payload.config.logprobs for job in jobs)
            tap = _ScoreTap() if wants_logprobs else None
            watch = _RowWatch(self, jobs, rows, tap)
            kwargs["stopping_criteria"] = StoppingCriteriaList([watch])
            if tap is not None:
                processors.append(tap)
        if processors:
            kwargs["logits_processor"] = LogitsProcessorList(processors)
        if spec0.params.seed is not None:
            torch.manual_seed(spec0.params.seed)
        with self.activate(spec0.adapter), torch.inference_mode():
            output = self.model.generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        sequences = output if isinstance(output, torch.Tensor) else output.sequences
        width = input_ids.shape[1]
        for i, (job, job_rows) in enumerate(zip(jobs, rows)):
            if watch is not None and watch.delivered[i]:
                continue
            for row in job_rows:
                if beams:
                    for token in sequences[row.slot, width:].tolist():
                        row.step(token)
                row.stop("length")
            self.deliver(job, job_rows)

    def _rows(self, job: Job) -> list[Row]:
        spec: JobSpec = job.payload
        track = spec.config.stream
        return [
            Row(
                i,
                spec.limit,
                spec.end_ids,
                spec.stops,
                functools.partial(self.decode, skip_special_tokens=spec.config.skip_special_tokens),
                track_text=track,
                logprobs=spec.config.logprobs,
                top_logprobs=spec.config.top_logprobs or 0,
            )
            for i in range(spec.config.n)
        ]

    def _media_inputs(self, jobs: list[Job], rows: list[list[Row]], width: int) -> dict[str, torch.Tensor]:
        """Image tensors of a job with images (it runs alone), once per row; token types left-padded."""
        media = jobs[0].payload.media
        if not media:
            return {}
        n = len(rows[0])
        device = self.model.device
        out: dict[str, torch.Tensor] = {}
        for key, value in media.items():
            tensor = torch.as_tensor(value)
            if key in TOKEN_TYPE_KEYS:
                row = torch.zeros(width, dtype=torch.long)
                row[width - tensor.shape[-1] :] = tensor
                out[key] = row.repeat(n, 1).to(device)
            else:
                out[key] = torch.cat([tensor] * n).to(device)
        if "pixel_values" in out and self.model.dtype.is_floating_point:
            out["pixel_values"] = out["pixel_values"].to(self.model.dtype)
        return out

    def _left_pad(self, prompts: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(p) for p in prompts)
        ids = [[self.pad_id] * (width - len(p)) + list(p) for p in prompts]
        mask = [[0] * (width - len(p)) + [1] * len(p) for p in prompts]
        device = self.model.device
        return torch.tensor(ids, device=device), torch.tensor(mask, device=device)

    def _generation_config(self, params: SamplingParams, max_new_tokens: int):
        config = copy.deepcopy(self.model.generation_config)
        config.max_new_tokens = max_new_tokens
        config.num_beams = params.num_beams
        config.num_return_sequences = 1
        config.do_sample = params.do_sample
        # Unset warpers under greedy so transformers does not warn about ignored values.
        config.temperature = params.temperature if params.do_sample else None
        config.top_k = params.top_k if params.do_sample else None
        config.top_p = params.top_p if params.do_sample else None
        config.repetition_penalty = params.repetition_penalty
        # rows end at their own end tokens (the stopping criterion); generate() stops at these.
        # ignore_eos: an empty list, since None would be filled in from the model's generation config
        config.eos_token_id = [] if params.ignore_eos else (sorted(self.end_ids) or None)
        config.pad_token_id = self.pad_id
        config.return_dict_in_generate = False
        return config

    def logprob_entries(self, tap: _ScoreTap | None, tokens: list[int], rows: list[Row]) -> dict[int, TokenLogprob]:
        """The logprob entry of this step's token for every row that asked for logprobs."""
        wanted = [r for r in rows if not r.done and r.want_logprobs]
        if tap is None or tap.scores is None or not wanted:
            return {}
        logprobs = torch.log_softmax(tap.scores.float(), dim=-1)
        slots = [r.slot for r in wanted]
        index = torch.tensor(slots, device=logprobs.device)
        chosen = logprobs[index, torch.tensor([tokens[s] for s in slots], device=logprobs.device)].tolist()
        k = max(r.top_logprobs for r in wanted)
        top_values = top_ids = None
        if k > 0:
            top = torch.topk(logprobs[index], k, dim=-1)
            top_values, top_ids = top.values.tolist(), top.indices.tolist()
        entries = {}
        for j, row in enumerate(wanted):
            alternatives = []
            if row.top_logprobs:
                pairs = zip(top_ids[j][: row.top_logprobs], top_values[j][: row.top_logprobs])
                # -inf (a banned token) is not valid JSON; such alternatives are left out.
                alternatives = [self._top(t, v) for t, v in pairs if v != float("-inf")]
            entries[row.slot] = self._entry(tokens[row.slot], chosen[j], alternatives)
        return entries

    def prompt_logprobs(
        self,
        prompts: list[list[int]],
        configs: list[RequestConfig],
        adapter: str | None = None,
        following: bool = False,
    ) -> list[tuple[list[TokenLogprob], tuple[int, TokenLogprob] | None]]:
        """Each prompt token's log probability given the tokens before it (``echo``), for a batch of prompts.

        Prompts sharing a long prefix are packed into one row (:mod:`.scoring`) where the model
        allows; rows are scored in forward passes whose logits fit :data:`SCORE_ELEMENTS`. The
        first token of each prompt has no logprob. The alternatives are the ``top_logprobs``
        likeliest tokens at each position (each config's own count).

        Returns:
            ``(entries, next)`` per prompt: ``next`` is ``(token, entry)`` of the likeliest
            token after the prompt when ``following`` (greedy decoding's first token), else ``None``.
        """
        # identical prompts (a repeated choice) are scored once: equal inputs give equal scores, ties stay ties
        first: dict[tuple, int] = {}
        distinct: list[list[int]] = []
        distinct_configs: list[RequestConfig] = []
        slots = []
        for prompt, config in zip(prompts, configs):
            key = (tuple(prompt), config.top_logprobs or 0)
            if key not in first:
                first[key] = len(distinct)
                distinct.append(prompt)
                distinct_configs.append(config)
            slots.append(first[key])
        rows = scoring.pack(distinct) if self._can_pack() else scoring.unpacked(distinct)
        window = self._window()
        if window and max(row.width for row in rows) > window:
            rows = scoring.unpacked(distinct)  # a packed row must not outgrow a sliding attention window
        results: list = [None] * len(distinct)
        for chunk in self._chunks(rows):
            with self.activate(adapter):
                self._score(chunk, distinct, distinct_configs, following, results)
        return [results[slot] for slot in slots]

    def _can_pack(self) -> bool:
        """Whether the model takes a 4-D attention mask with explicit positions (see :mod:`.scoring`)."""
        config = self.model.config
        text = config.get_text_config()
        if text is not config or getattr(config, "_attn_implementation", None) not in ("sdpa", "eager"):
            return False  # multimodal positions, or flash attention (no 4-D masks)
        layer_types = getattr(text, "layer_types", None) or ()
        return set(layer_types) <= {"full_attention", "sliding_attention"}  # no linear-attention layers

    def _window(self) -> int | None:
        text = self.model.config.get_text_config()
        if getattr(text, "use_sliding_window", True) is False:
            return None
        return getattr(text, "sliding_window", None)

    def _chunks(self, rows: list[scoring.Row]) -> list[list[scoring.Row]]:
        """Rows in batches whose logits fit :data:`SCORE_ELEMENTS` (and masks :data:`MASK_ELEMENTS`), widest first."""
        vocab = self.model.config.get_text_config().vocab_size
        chunks: list[list[scoring.Row]] = []
        for row in sorted(rows, key=lambda r: -r.width):
            chunk = chunks[-1] if chunks else None
            if chunk is not None:
                width = chunk[0].width
                n = len(chunk) + 1
                if n * width * vocab <= SCORE_ELEMENTS and n * width * width <= MASK_ELEMENTS:
                    chunk.append(row)
                    continue
            chunks.append([row])
        return chunks

    def _plain_greedy(self, params: SamplingParams) -> bool:
        """Whether ``generate`` would pick the argmax of the model's logits unchanged (no processor applies)."""
        if params.do_sample or params.num_beams > 1 or params.penalised:
            return False
        if params.repetition_penalty not in (None, 1.0):
            return False
        config = self.model.generation_config
        processors = (
            "suppress_tokens",
            "begin_suppress_tokens",
            "bad_words_ids",
            "sequence_bias",
            "forced_bos_token_id",
        )
        return not any(getattr(config, name, None) for name in processors) and not (
            getattr(config, "min_new_tokens", None) or (getattr(config, "min_length", 0) or 0) > 0
        )

    def _score(
        self,
        rows: list[scoring.Row],
        prompts: list[list[int]],
        configs: list[RequestConfig],
        following: bool,
        results: list,
    ) -> None:
        """Score ``rows`` in one forward pass; each prompt's ``(entries, next)`` goes to ``results[index]``."""
        width = max(row.width for row in rows)
        device = self.model.device
        ids = torch.tensor([row.tokens + [self.pad_id] * (width - row.width) for row in rows], device=device)
        packed = any(row.shared < row.width or len(row.members) > 1 for row in rows)
        if packed:
            inputs = {"attention_mask": self._packed_mask(rows, width), "position_ids": self._positions(rows, width)}
        else:
            inputs = {
                "attention_mask": torch.tensor([[1] * r.width + [0] * (width - r.width) for r in rows], device=device)
            }
        with torch.inference_mode():
            logits = self.model(input_ids=ids, **inputs).logits
        for r, row in enumerate(rows):
            for index, start in row.members:
                prompt = prompts[index]
                # the logits at prompt token k predict token k + 1; the last one the token after the prompt
                places = [row.place(start, k) for k in range(len(prompt) if following else len(prompt) - 1)]
                results[index] = self._entries(prompt, configs[index], logits[r, places], following)

    def _positions(self, rows: list[scoring.Row], width: int) -> torch.Tensor:
        return torch.tensor([row.positions + [0] * (width - row.width) for row in rows], device=self.model.device)

    def _packed_mask(self, rows: list[scoring.Row], width: int) -> torch.Tensor:
        """``[rows, 1, width, width]`` additive mask: causal, and a suffix sees the prefix and itself only."""
        device = self.model.device
        segments = torch.tensor([row.segments + [-1] * (width - row.width) for row in rows], device=device)
        index = torch.arange(width, device=device)
        causal = index[:, None] >= index[None, :]
        query, key = segments[:, :, None], segments[:, None, :]
        allowed = causal & (key >= 0) & ((key == 0) | (key == query))
        allowed |= torch.eye(width, dtype=torch.bool, device=device)  # padding attends to itself (no empty rows)
        dtype = self.model.dtype
        mask = torch.zeros(allowed.shape, dtype=dtype, device=device)
        return mask.masked_fill(~allowed, torch.finfo(dtype).min)[:, None]

    def _entries(
        self, prompt: list[int], config: RequestConfig, logits: torch.Tensor, following: bool
    ) -> tuple[list[TokenLogprob], tuple[int, TokenLogprob] | None]:
        device = logits.device
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        targets = list(prompt[1:])
        if following:
            targets.append(int(torch.argmax(logprobs[-1])))
        chosen = logprobs.gather(1, torch.tensor(targets, device=device, dtype=torch.long)[:, None])[:, 0].tolist()
        k = config.top_logprobs or 0
        top_values = top_ids = None
        if k > 0 and targets:
            top = torch.topk(logprobs, k, dim=-1)
            top_values, top_ids = top.values.tolist(), top.indices.tolist()
        entries = [self._entry(prompt[0], None)]
        for i, token in enumerate(targets):
            alternatives = []
            if top_ids is not None:
                alternatives = [self._top(t, v) for t, v in zip(top_ids[i], top_values[i]) if v != float("-inf")]
            entries.append(self._entry(token, chosen[i], alternatives))
        after = (targets[-1], entries.pop()) if following else None
        return entries, after

    def _entry(self, token: int, logprob: float | None, alternatives: list[TopLogprob] | None = None) -> TokenLogprob:
        text = self.token_text(token)
        return TokenLogprob(text, logprob, list(text.encode("utf-8")), alternatives or [])

    def _top(self, token: int, value: float) -> TopLogprob:
        text = self.token_text(token)
        return TopLogprob(text, value, list(text.encode("utf-8")))

    def deliver(self, job: Job, rows: list[Row]) -> bool:
        """Send what the job's client should see now; True once it has everything."""
        spec: JobSpec = job.payload
        finished = all(row.done for row in rows)
        if not finished and not spec.config.stream:
            return False
        usage = UsageInfo(len(job.prompt_ids), sum(len(r.tokens) for r in rows))
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens
        name = spec.adapter or spec.model_name
        if spec.config.stream:
            choices = []
            for row in rows:
                if row.sent_final:
                    continue
                delta, logprobs = row.take_delta()
                if delta or row.done or (logprobs and spec.config.logprobs):
                    row.sent_final = row.done
                    lp = ChoiceLogprobs(logprobs) if spec.config.logprobs else None
                    choices.append(
                        ChatCompletionResponseStreamChoice(
                            row.index, DeltaMessage(content=delta), row.finish_reason, lp
                        )
                    )
            if choices:
                job.sink.put(ChatCompletionStreamResponse(name, choices, usage, id=spec.request_id))
            if finished:
                job.sink.finish(None)
            return finished
        ids = spec.config.return_token_ids
        choices = [
            ChatCompletionResponseChoice(
                row.index,
                ChatMessage(content=row.final_text()),
                row.finish_reason,
                ChoiceLogprobs(row.logprobs) if spec.config.logprobs else None,
                list(row.tokens) if ids else None,
            )
            for row in rows
        ]
        prompt_ids = list(job.prompt_ids) if ids else None
        job.sink.finish(
            ChatCompletionResponse(
                name,
                choices,
                usage,
                id=spec.request_id,
                prompt_token_ids=prompt_ids,
                prompt_logprobs=spec.prompt_logprobs,
            )
        )
        return True
