"""``RequestConfig`` → vLLM ``SamplingParams``, with the model's generation config as default.

The defaults follow the ``pt`` engine, so both backends answer a request that sets
nothing the same way: greedy unless the model's ``generation_config.json`` samples,
then its temperature, top-k, top-p and repetition penalty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swift.protocol import InvalidRequestError, RequestConfig


@dataclass(frozen=True)
class GenerationDefaults:
    """What a request leaves unset becomes this (read from ``generation_config.json``)."""

    temperature: float = 0.0
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float | None = None

    @classmethod
    def from_model_dir(cls, model_dir: str) -> GenerationDefaults:
        """The defaults of the checkpoint in ``model_dir`` (greedy when it has no file)."""
        from transformers import GenerationConfig

        try:
            gen = GenerationConfig.from_pretrained(model_dir)
        except (OSError, ValueError):
            return cls()
        return cls(
            temperature=(gen.temperature or 1.0) if gen.do_sample else 0.0,
            top_k=gen.top_k,
            top_p=gen.top_p,
            repetition_penalty=gen.repetition_penalty,
        )


def sampling_params(
    config: RequestConfig,
    defaults: GenerationDefaults,
    *,
    max_tokens: int,
    stop: list[str],
    stop_token_ids: set[int],
    stream: bool,
) -> Any:
    """The ``SamplingParams`` of one request.

    Args:
        config: The request's settings.
        defaults: Values for what ``config`` leaves unset.
        max_tokens: Most new tokens (already bounded by the context length).
        stop: Stop strings (the template's and the request's).
        stop_token_ids: Token ids that end the answer (special-token stop words, eos).
        stream: Deltas as tokens arrive (else one final output).

    Raises:
        InvalidRequestError: For settings vLLM's sampler does not offer.
    """
    from vllm import SamplingParams
    from vllm.sampling_params import RequestOutputKind

    if config.num_beams > 1:
        raise InvalidRequestError(
            "the vllm engine does not do beam search (num_beams > 1); use --infer_backend pt for beam search"
        )
    temperature = config.temperature if config.temperature is not None else defaults.temperature
    sampled = temperature > 0
    top_k = config.top_k if config.top_k is not None else defaults.top_k
    top_p = config.top_p if config.top_p is not None else defaults.top_p
    penalty = config.repetition_penalty or defaults.repetition_penalty
    return SamplingParams(
        n=config.n,
        temperature=temperature,
        # transformers and vLLM both read top_k 0 as "off"; greedy ignores them anyway
        top_k=int(top_k) if sampled and top_k else 0,
        top_p=float(top_p) if sampled and top_p is not None else 1.0,
        repetition_penalty=float(penalty) if penalty else 1.0,
        presence_penalty=config.presence_penalty or 0.0,
        frequency_penalty=config.frequency_penalty or 0.0,
        logit_bias=dict(config.logit_bias) if config.logit_bias else None,
        seed=config.seed,
        max_tokens=max_tokens,
        stop=stop or None,
        stop_token_ids=sorted(stop_token_ids) or None,
        ignore_eos=config.ignore_eos,
        skip_special_tokens=config.skip_special_tokens,
        logprobs=(config.top_logprobs or 0) if config.logprobs else None,
        prompt_logprobs=(config.top_logprobs or 0) if config.echo else None,
        output_kind=RequestOutputKind.DELTA if stream else RequestOutputKind.FINAL_ONLY,
    )
