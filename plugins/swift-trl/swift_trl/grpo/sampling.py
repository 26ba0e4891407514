"""Group sampling: ``G`` rollouts per prompt through an engine, encoded for training.

Generation goes through the engine family only (``infer(requests, request_config)``),
so the local ``pt`` engine and a rollout server client are interchangeable. A
single-turn rollout asks for ``n = G`` answers per prompt in one batch; a multi-turn
rollout (``--multi_turn_scheduler``) repeats each prompt ``G`` times and lets
:func:`swift.scheduler.run_multi_turn_batch` drive it turn by turn.

A finished rollout becomes the token sequence the model actually saw and wrote. With an
engine that returns token ids (``return_token_ids``: the ``pt`` engine, ``swift rollout``,
vLLM), a multi-turn rollout is continued from the sampled ids themselves
(:class:`~swift_trl.grpo.token_ids.TokenChains`, as trl does): each next turn goes to the
engine as token ids — the turn before, the sampled answer, what the template writes after
it, the injected messages — and exactly the sampled tokens are trained. A single-turn
answer is its sampled ids plus, if the model stopped by itself, the rest of the template's
end of turn. Engines without ids fall back to the text: each turn's prompt as the template
encodes it, the answer re-encoded. The prompt, tool results, user replies and anything else a
scheduler injected (even assistant messages it wrote itself) are masked. When the turns do
not chain (a scheduler that rewrote history, a template that renders history differently),
the whole conversation is encoded by the template instead, with the same mask (ms-swift's way).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from swift.protocol import ChatCompletionResponse, RequestConfig
from swift.scheduler import (
    MultiTurnScheduler,
    RolloutRequest,
    Trajectory,
    assistant_message,
    run_multi_turn_batch,
)
from swift.template import IGNORE_INDEX, TemplateError
from swift.template.media import row_media
from swift_trl.grpo.token_ids import ANSWER_MARKER, PromptIds, TokenChains, check_prompt, sampled_answer_ids

# row keys that describe the conversation rather than being a dataset column
CONVERSATION_KEYS = ("messages", "system", "tools", "images", "videos", "audios")


@dataclass
class Sample:
    """One rollout of a generation round, ready for the loss.

    Attributes:
        row: The dataset row of its prompt.
        trajectory: The rollout (messages, which of them the model wrote, choices).
        input_ids: The encoded conversation.
        completion_mask: 1 on tokens the model wrote, 0 elsewhere (same length).
        media: The prompt's image inputs (``pixel_values`` …, and the per-token modality over
            ``input_ids``) for a vision-language model; empty for text.
    """

    row: dict[str, Any]
    trajectory: Trajectory
    input_ids: list[int]
    completion_mask: list[int]
    media: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def completion_ids(self) -> list[int]:
        """The tokens the model wrote, in order (what length-based rewards count)."""
        return [t for t, m in zip(self.input_ids, self.completion_mask) if m]

    @property
    def truncated(self) -> bool:
        """Whether the last answer was cut at ``max_tokens``."""
        return self.trajectory.finish_reason == "length"


def rollout_request(row: dict[str, Any]) -> RolloutRequest:
    """The request of a prompt row; its other columns travel in ``data`` for schedulers.

    A row that still ends with an assistant answer (SFT-style data) is asked again
    without it: the answer is what the model must now produce itself.
    """
    data = {k: v for k, v in row.items() if k not in CONVERSATION_KEYS}
    messages = [dict(m) for m in row["messages"]]
    if len(messages) > 1 and messages[-1]["role"] == "assistant":
        messages = messages[:-1]
    return RolloutRequest(
        messages=messages,
        tools=row.get("tools"),
        system=row.get("system"),
        data=data,
        **row_media(row),
    )


class GroupSampler:
    """Samples ``num_generations`` rollouts per prompt and encodes them.

    Args:
        engine: Anything with ``infer(requests, request_config)`` of the serving protocol.
        template: The template the engine encodes prompts with.
        num_generations: ``G``.
        request_config: Sampling settings of every turn (``max_tokens`` =
            ``--max_completion_length``, temperature, top-k, top-p …); ``n`` and
            ``return_token_ids`` are set here.
        scheduler: The multi-turn scheduler, or None for single-turn rollouts.
        fallback_template: Encodes whole conversations when turns do not chain (its
            ``loss_scale`` must honour per-message ``loss`` flags: ``default``);
            defaults to ``template``.
    """

    def __init__(
        self,
        engine: Any,
        template: Any,
        num_generations: int,
        request_config: RequestConfig,
        scheduler: MultiTurnScheduler | None = None,
        fallback_template: Any = None,
    ):
        self.engine = engine
        self.template = template
        self.fallback_template = fallback_template or template
        self.num_generations = num_generations
        # the sampled ids are what the loss must score; engines without them ignore it
        self.request_config = _replace(request_config, return_token_ids=True)
        self.scheduler = scheduler
        if scheduler is not None and hasattr(scheduler, "bind_template"):
            scheduler.bind_template(template)  # schedulers that read tool calls parse with it
        self.turn_end = turn_end(self.fallback_template)
        self.turn_end_ids = list(self.template.tokenizer.encode(self.turn_end, add_special_tokens=False))
        self.prompt_ids = PromptIds()
        self.chains = TokenChains(self.template, self.turn_end)
        self._media: dict[int, dict[str, Any]] = {}  # a round's prompt image inputs, per row

    def rollout(self, rows: Sequence[dict[str, Any]]) -> list[Trajectory]:
        """``len(rows) * G`` trajectories, the ``G`` of each prompt next to each other."""
        requests = [rollout_request(row) for row in rows]
        g = self.num_generations
        self.prompt_ids.clear()
        self.chains.clear()
        self._media.clear()
        if self.scheduler is not None:
            repeated = [r for r in requests for _ in range(g)]
            config = _replace(self.request_config, n=1)
            engine = self.prompt_ids.recording(self.chains.engine(self.engine))
            return run_multi_turn_batch(engine, repeated, config, self.scheduler)
        responses = self.engine.infer(requests, _replace(self.request_config, n=g))
        trajectories = []
        for request, response in zip(requests, responses):
            response = _response(response)
            self.prompt_ids.record(response)
            choices = list(response.choices)
            if len(choices) != g:
                raise RuntimeError(f"the engine returned {len(choices)} answers, asked for {g}")
            for choice in choices:
                messages = [*request.messages, assistant_message(choice)]
                flags = [False] * len(request.messages) + [True]
                trajectories.append(Trajectory(messages, flags, len(request.messages), [choice], request.data))
        return trajectories

    def encode(self, row: dict[str, Any], trajectory: Trajectory) -> Sample:
        """Encode a trajectory; the loss mask covers exactly the model's own answers."""
        chain = self.chains.of(trajectory.choices[-1]) if trajectory.choices else None
        if chain is not None and self._whole(trajectory, chain):
            sample = Sample(dict(row), trajectory, list(chain.ids), list(chain.sampled))
        else:
            chained = self._chain_turns(row, trajectory)
            if chained is None:
                chained = self._encode_whole(row, trajectory)
            sample = Sample(dict(row), trajectory, *chained)
        if any(row_media(row).values()):
            sample.media = self._prompt_media(row, sample.input_ids)
        return sample

    def _prompt_media(self, row: dict[str, Any], input_ids: list[int]) -> dict[str, Any]:
        """The image inputs of a single-turn rollout's prompt, checked against the ids the engine saw.

        The ``G`` rollouts of a prompt share one encoding of its images (per round).
        """
        encoded = self._media.get(id(row))
        if encoded is None:
            request = rollout_request(row)
            system, messages = request.split_system()
            encoded = self.template.encode_prompt(messages, system, tools=request.tools, **row_media(row))
            self._media[id(row)] = encoded
        prompt = list(encoded["input_ids"])
        if input_ids[: len(prompt)] != prompt:
            raise TemplateError("the rollout's prompt is not the prompt its images were encoded with")
        media = {k: v for k, v in encoded.items() if k != "input_ids"}
        for key, value in list(media.items()):
            if isinstance(value, list):  # per-token modality: the answer is text
                media[key] = list(value) + [0] * (len(input_ids) - len(value))
        return media

    def _whole(self, trajectory: Trajectory, chain: Any) -> bool:
        # the token chain holds every answer of the trajectory (no turn went by text) and
        # the rollout ended with the model's answer (nothing injected after it to encode)
        answers = sum(trajectory.model_written)
        runs = sum(1 for i, m in enumerate(chain.sampled) if m and (i == 0 or not chain.sampled[i - 1]))
        return bool(trajectory.model_written[-1]) and runs == answers

    def _chain_turns(self, row: dict[str, Any], trajectory: Trajectory) -> tuple | None:
        tokenizer = self.template.tokenizer
        ids: list[int] = []
        mask: list[int] = []
        text_ids: list[int] = []  # the previous answer re-encoded from its text
        start = 0  # where the previous answer begins in ids
        turns = iter(trajectory.choices)
        system = row.get("system")
        for j, (message, written) in enumerate(zip(trajectory.messages, trajectory.model_written)):
            if not written:
                continue
            context = trajectory.messages[:j]
            if context and context[0]["role"] == "system":
                system, context = context[0]["content"], context[1:]
            media = {k: v for k, v in row_media(row).items() if v}  # a vision prompt's images (single-turn)
            encoded = self.template.encode_prompt(context, system, tools=row.get("tools"), **media)
            prompt = list(encoded["input_ids"] if isinstance(encoded, dict) else encoded)
            choice = next(turns, None)
            check_prompt(self.prompt_ids.of(choice), prompt)
            if prompt[: len(ids)] != ids and text_ids:
                # the engine saw the previous answer re-encoded from its text (a cut
                # character, a rare tokenization): train on what this prompt holds
                ids, mask = ids[:start] + text_ids, mask[:start] + [1] * len(text_ids)
            if prompt[: len(ids)] != ids:
                return None  # the template rewrote earlier turns: no single sequence
            mask += [0] * (len(prompt) - len(ids))
            stopped = choice is None or choice.finish_reason != "length"
            answer = message["content"] + (self.turn_end if stopped else "")
            text_ids = list(tokenizer.encode(answer, add_special_tokens=False))
            sampled = sampled_answer_ids(choice, message["content"], self.turn_end_ids)
            answer_ids = text_ids if sampled is None else sampled
            start, ids = len(prompt), prompt + answer_ids
            mask += [1] * len(answer_ids)
        return (ids, mask) if ids else None

    def _encode_whole(self, row: dict[str, Any], trajectory: Trajectory) -> tuple:
        encoded = self.fallback_template.encode(
            {
                "messages": trajectory.training_messages(),
                **{k: row[k] for k in ("system", "tools") if row.get(k) is not None},
            }
        )
        mask = [int(label != IGNORE_INDEX) for label in encoded["labels"]]
        return list(encoded["input_ids"]), mask

    def sample(self, rows: Sequence[dict[str, Any]]) -> list[Sample]:
        """Roll out and encode: ``len(rows) * G`` samples grouped by prompt."""
        trajectories = self.rollout(rows)
        g = self.num_generations
        return [self.encode(rows[i // g], t) for i, t in enumerate(trajectories)]

    def completions(self, samples: Sequence[Sample]) -> list[Any]:
        """What reward functions score.

        The answer text, or the chat-format turns after the prompt for multi-turn rollouts (tool and user turns
        included).
        """
        if self.scheduler is None:
            return [s.trajectory.messages[-1]["content"] for s in samples]
        return [s.trajectory.completion for s in samples]


def turn_end(template: Any) -> str:
    """What the template trains after an answer's text (``<|im_end|>`` for ChatML).

    Found by encoding a one-turn conversation whose answer is a marker and reading
    the trained text after it, so every template family answers for itself.
    """
    encoded = template.encode(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": ANSWER_MARKER}]}
    )
    trained = [t for t, label in zip(encoded["input_ids"], encoded["labels"]) if label != IGNORE_INDEX]
    text = template.tokenizer.decode(trained)
    return text.split(ANSWER_MARKER, 1)[1] if ANSWER_MARKER in text else ""


def reward_columns(samples: Sequence[Sample]) -> dict[str, list[Any]]:
    """Keyword lists for reward functions, one value per completion.

    Every dataset column (``solution`` …) as it is; ``messages`` is the whole
    conversation including the completion (as ms-swift passes it), ``prompts`` the
    prompt messages (as trl passes them), ``completion_ids`` the model's tokens.
    """
    keys: list[str] = []
    for sample in samples:
        keys += [k for k in sample.row if k not in keys and k != "messages"]
    columns = {k: [s.row.get(k) for s in samples] for k in keys}
    columns["messages"] = [s.trajectory.messages for s in samples]
    columns["prompts"] = [s.trajectory.messages[: s.trajectory.prompt_length] for s in samples]
    columns["completion_ids"] = [s.completion_ids for s in samples]
    return columns


def _replace(config: RequestConfig, **changes: Any) -> RequestConfig:
    import dataclasses

    return dataclasses.replace(config, **changes)


def _response(response: Any) -> ChatCompletionResponse:
    if isinstance(response, ChatCompletionResponse):
        return response
    return ChatCompletionResponse.from_dict(response)
