"""Scaffold snippets of the families that run torch.

Models, tuners, losses, engines and trainers: their implementation modules import
torch, transformers or peft (never their hooks module).
"""

from __future__ import annotations

from swift_sdk.scaffold.spec import FamilySnippet

MODELS = FamilySnippet(
    family="models",
    record_type="ModelRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.models:load_model"'),
        ("template", '"$template"'),
        ("architectures", '("LlamaForCausalLM",)'),
        ("model_ids", '("$name/$name-*",)'),
        ("summary", '"$Camel chat models (Llama architecture)"'),
    ),
    modules={
        "models.py": '''\
"""Loader of the ``$name`` model type (``--model_type $name``)."""

from __future__ import annotations

from typing import Any

from transformers import AutoModelForCausalLM, AutoTokenizer


def load_model(model_dir: str, args: Any, record: Any) -> tuple[Any, Any]:
    """``(model, tokenizer)`` of a $name checkpoint folder.

    ``--torch_dtype`` and ``--model_kwargs`` apply; everything else is plain transformers.
    """
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:  # batches are padded; reusing EOS is what chat models expect
        tokenizer.pad_token = tokenizer.eos_token
    dtype = getattr(args, "torch_dtype", None) or "auto"
    extra = getattr(args, "model_kwargs", None) or {}
    model = AutoModelForCausalLM.from_pretrained(model_dir, **{"dtype": dtype, **extra})
    return model, tokenizer
''',
    },
    dependencies=("torch>=2.4", "transformers>=5.0,<6"),
    usage="swift sft --model <dir> --model_type $name …",
)

TUNERS = FamilySnippet(
    family="tuners",
    record_type="TunerRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.tuners:TUNER"'),
        ("summary", '"LoRA on every linear layer, with peft"'),
    ),
    modules={
        "tuners.py": '''\
"""The ``$name`` tuner (``--train_type $name``): LoRA through plain peft."""

from __future__ import annotations

from typing import Any

from peft import LoraConfig, PeftModel, get_peft_model


class ${Camel}Tuner:
    """Attach, save, load and merge LoRA adapters (``swift.contracts.Tuner``);
    checkpoints load in plain peft.

    Reads ``--lora_rank`` and ``--lora_alpha``; adapts every linear layer but the output head.
    """

    def prepare(self, model: Any, args: Any, *, total_steps: int | None = None) -> PeftModel:
        config = LoraConfig(
            r=getattr(args, "lora_rank", 8),
            lora_alpha=getattr(args, "lora_alpha", 32),
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
        return get_peft_model(model, config)

    def save(self, model: PeftModel, output_dir: str, **kwargs: Any) -> None:
        model.save_pretrained(output_dir, **kwargs)

    def load(
        self,
        model: Any,
        adapter_dir: str,
        *,
        is_trainable: bool = False,
        adapter_name: str = "default",
    ) -> PeftModel:
        options = {"adapter_name": adapter_name, "is_trainable": is_trainable}
        if isinstance(model, PeftModel):  # a second adapter joins the first
            model.load_adapter(adapter_dir, **options)
            return model
        return PeftModel.from_pretrained(model, adapter_dir, **options)

    def merge(self, model: PeftModel) -> Any:
        return model.merge_and_unload()


TUNER = ${Camel}Tuner()
''',
    },
    dependencies=("torch>=2.4", "peft>=0.17"),
    usage="swift sft --model <dir> --train_type $name …",
)

LOSSES = FamilySnippet(
    family="losses",
    record_type="LossRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.losses:smoothed_cross_entropy"'),
        ("summary", '"cross-entropy with label smoothing 0.1"'),
    ),
    modules={
        "losses.py": '''\
"""The ``$name`` loss (``--loss_type $name``), called as transformers' ``compute_loss_func``."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

SMOOTHING = 0.1


def smoothed_cross_entropy(
    outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None, **_: Any
) -> torch.Tensor:
    """Next-token cross-entropy with label smoothing over trained tokens (labels != -100)."""
    logits = outputs["logits"][..., :-1, :].float()
    targets = labels[..., 1:].to(logits.device)
    total = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        targets.reshape(-1),
        ignore_index=-100,
        label_smoothing=SMOOTHING,
        reduction="sum",
    )
    # the Trainer counts trained tokens over the whole accumulated batch when it can
    if num_items_in_batch is None:
        num_items_in_batch = targets.ne(-100).sum().clamp(min=1)
    return total / num_items_in_batch
''',
    },
    dependencies=("torch>=2.4",),
    usage="swift sft --model <dir> --loss_type $name …",
)

ENGINES = FamilySnippet(
    family="engines",
    record_type="EngineRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.engines:${Camel}Engine"'),
        ("summary", '"transformers generate, one request at a time"'),
    ),
    modules={
        "engines.py": '''\
"""The ``$name`` inference engine (``--infer_backend $name``): transformers ``generate``.

A minimal engine: one request at a time, and a stream is the finished answer sent in
token-sized pieces. swift-transformers' ``pt`` engine shows batching and true streaming.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import swift.protocol as p
import torch
from swift.services import load_model
from swift.template import get_template, model_template

Answer = tuple[str, str, list[int], list[int]]  # text, finish reason, prompt ids, new ids


class ${Camel}Engine:
    """Answers :class:`swift.protocol.InferRequest` objects; built from ``InferArguments``."""

    def __init__(self, args: Any) -> None:
        model, self.tokenizer, record = load_model(args)  # honours --model_type, --torch_dtype …
        self.model = model.eval()
        name = model_template(args.template, record.template, self.tokenizer)  # Mistral revisions …
        self.template = get_template(name, self.tokenizer, args)
        self.model_name = str(args.model).rstrip("/").rsplit("/", 1)[-1]
        self.adapter_names: tuple[str, ...] = ()
        self._lock = threading.Lock()  # one generate at a time

    def infer(
        self,
        requests: list[p.InferRequest],
        request_config: p.RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> list:
        config = self._config(request_config, adapter)
        answers = [self._generate(r, config) for r in requests]
        build = self._chunks if config.stream else self._response
        return [build(*answer) for answer in answers]

    async def infer_async(
        self,
        request: p.InferRequest,
        request_config: p.RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> Any:
        config = self._config(request_config, adapter)
        answer = await asyncio.to_thread(self._generate, request, config)
        if not config.stream:
            return self._response(*answer)

        async def chunks() -> AsyncIterator[p.ChatCompletionStreamResponse]:
            for chunk in self._chunks(*answer):
                yield chunk

        return chunks()

    def close(self) -> None:
        """Nothing to release: no worker threads or processes."""

    def _config(self, config: p.RequestConfig | None, adapter: str | None) -> p.RequestConfig:
        if adapter:
            raise p.InvalidRequestError(f"the $name engine serves no adapters; got {adapter!r}")
        return config or p.RequestConfig()

    def _generate(self, request: p.InferRequest, config: p.RequestConfig) -> Answer:
        system, messages = request.split_system()
        prompt = self.template.encode_prompt(messages, system=system, tools=request.tools)
        max_tokens = config.max_tokens or 512
        kwargs: dict[str, Any] = {"do_sample": bool(config.temperature)}
        if config.temperature:
            kwargs.update(temperature=config.temperature, top_p=config.top_p or 1.0)
            kwargs.update(top_k=config.top_k or 0)
        # stop words that are single tokens end generate() itself; the others cut the text
        end_ids = [self.tokenizer.eos_token_id]
        for word in self.template.stop_words:
            ids = self.tokenizer.encode(word, add_special_tokens=False)
            if len(ids) == 1:
                end_ids.append(ids[0])
        with self._lock, torch.no_grad():
            if config.seed is not None:
                torch.manual_seed(config.seed)
            output = self.model.generate(
                torch.tensor([prompt]),
                attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                max_new_tokens=max_tokens,
                eos_token_id=end_ids,
                pad_token_id=self.tokenizer.pad_token_id,
                **kwargs,
            )
        new = output[0, len(prompt) :].tolist()
        stops = [*self.template.stop_words, *config.stop]
        text, stopped = p.cut_at_stop(self.tokenizer.decode(new), stops)
        ended = stopped or (new and new[-1] in end_ids) or len(new) < max_tokens
        return text, "stop" if ended else "length", prompt, new

    def _usage(self, prompt: list[int], new: list[int]) -> p.UsageInfo:
        counts = {"prompt_tokens": len(prompt), "completion_tokens": len(new)}
        return p.UsageInfo(**counts, total_tokens=len(prompt) + len(new))

    def _response(self, text: str, finish: str, prompt: list[int], new: list[int]) -> Any:
        message = p.ChatMessage(content=text)
        choice = p.ChatCompletionResponseChoice(index=0, message=message, finish_reason=finish)
        usage = self._usage(prompt, new)
        return p.ChatCompletionResponse(model=self.model_name, choices=[choice], usage=usage)

    def _chunks(self, text: str, finish: str, prompt: list[int], new: list[int]) -> Iterator[Any]:
        sent = 0
        for i in range(1, len(new) + 1):  # one piece per token, cut where the answer ends
            upto = min(len(self.tokenizer.decode(new[:i])), len(text))
            if upto > sent:
                piece, sent = text[sent:upto], upto
                delta = p.DeltaMessage(content=piece)
                choice = p.ChatCompletionResponseStreamChoice(index=0, delta=delta)
                yield p.ChatCompletionStreamResponse(model=self.model_name, choices=[choice])
        rest = p.DeltaMessage(content=text[sent:])
        last = p.ChatCompletionResponseStreamChoice(index=0, delta=rest, finish_reason=finish)
        usage = self._usage(prompt, new)
        yield p.ChatCompletionStreamResponse(model=self.model_name, choices=[last], usage=usage)
''',
    },
    dependencies=("torch>=2.4", "transformers>=5.0,<6", "swift-transformers>=0.1,<0.2"),
    usage="swift infer --model <dir> --infer_backend $name",
)

TRAINERS = FamilySnippet(
    family="trainers",
    record_type="TrainerRecord",
    record=(
        ("name", '"$name"'),
        ("load", '"$pkg.trainers:run"'),
        ("command", '"rlhf"'),
        ("summary", '"$Camel training method"'),
    ),
    modules={
        "trainers.py": '''\
"""The ``$name`` training method: ``run(args) -> summary``."""

from __future__ import annotations

from typing import Any

from swift_transformers.api import run_training


def run(args: Any) -> dict:
    """Train as ``swift sft`` does (model, template, data, tuner, Trainer) and return its summary.

    Start from swift-transformers' recipe and change what your method does differently.
    """
    return run_training(args, "sft")
''',
    },
    dependencies=("swift-transformers>=0.1,<0.2",),
    usage="from $pkg.trainers import run; run(TrainArguments(...))",
    tests={
        "test_trainers.py": '''\
"""The $name trainer trains a tiny model and writes a checkpoint."""

import json

from swift.arguments import TrainArguments

from $pkg.trainers import run


def test_one_step_writes_a_checkpoint(tiny_model_path, tmp_path):
    data = tmp_path / "chats.jsonl"
    chat = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    data.write_text("\\n".join(json.dumps(chat) for _ in range(4)) + "\\n")
    args = TrainArguments(
        model=str(tiny_model_path),
        dataset=[str(data)],
        max_steps=1,
        output_dir=str(tmp_path / "out"),
        split_dataset_ratio=0.0,
        report_to=[],
    )
    summary = run(args)
    assert summary["global_step"] == 1 and summary["last_model_checkpoint"]
''',
    },
)
