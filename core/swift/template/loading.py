"""``get_template``: a template name (or record) + a tokenizer → a bound :class:`Template`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from swift.kernel.errors import UsageError
from swift.template.meta import TemplateMeta
from swift.template.template import Template

# Template options read from an arguments object, with their defaults when it lacks them.
OPTIONS: dict[str, Any] = {
    "max_length": None,
    "truncation_strategy": "left",
    "loss_scale": "default",
    "system": None,
    "use_chat_template": True,
    "template_backend": "swift",
    "enable_thinking": None,
    "tools_prompt": None,
    "max_pixels": None,
}


def template_options(args: Any = None, **overrides: Any) -> dict[str, Any]:
    """The keyword options of :class:`Template` taken from ``args`` (``--max_length`` …)."""
    options = {name: getattr(args, name, default) if args is not None else default for name, default in OPTIONS.items()}
    options.update(overrides)
    return options


def model_template(template: str | None, default: str | None, tokenizer: Any) -> str | None:
    """The template a run uses: ``--template`` when given, else the model type's ``default``.

    A family whose published chat template changed between revisions (Mistral's) has one
    template per revision (``TemplateRecord.revision_of``); the revision whose ``marker`` the
    checkpoint's own ``chat_template`` contains replaces the default.
    """
    if template or not default:
        return template or default
    from swift.kernel import registry

    published = getattr(tokenizer, "chat_template", None)
    if not isinstance(published, str):
        return default
    for record in registry("templates").records():
        if record.revision_of == default and record.marker and record.marker in published:
            return record.name
    return default


def get_template(name: str | TemplateMeta | None, tokenizer: Any, args: Any = None, **overrides: Any) -> Any:
    """Build the template ``name`` for ``tokenizer``.

    Args:
        name: A ``--template`` name resolved through ``registry("templates")``, or a
            :class:`TemplateMeta`; ``None`` takes ``args.template``.
        tokenizer: The model's tokenizer.
        args: An arguments object; its ``max_length``, ``truncation_strategy``,
            ``loss_scale``, ``system``, ``use_chat_template``, ``template_backend``
            and ``enable_thinking`` become template options.
        **overrides: Options that win over ``args`` (and ``variables``).

    Returns:
        A :class:`Template`, or whatever a plugin's factory returns when its record
        points to a callable ``factory(tokenizer, **options)`` instead of a meta.

    Raises:
        UnknownNameError: For a name no plugin registered (with the closest one).
        UsageError: For no name at all or a record pointing to something else.

    Example::

        template = get_template("qwen2_5", tokenizer, args)
        row = template.encode({"messages": [{"role": "user", "content": "hi"},
                                            {"role": "assistant", "content": "hello"}]})
    """
    if name is None and args is not None:
        name = getattr(args, "template", None)
    if name is None:
        raise UsageError("no template given: pass --template (custom models need it) or --model_type")
    options = template_options(args, **overrides)
    if isinstance(name, TemplateMeta):
        return Template(name, tokenizer, **options)

    from swift.kernel import load_object, registry

    record = registry("templates").get(name)
    obj = load_object(record.load, what=f"template {record.name!r}")
    if isinstance(obj, TemplateMeta):
        changes: dict[str, Any] = {}
        if not obj.name:
            changes["name"] = record.name
        extra = tuple(w for w in record.stop_words if w not in obj.stop_words)
        if extra:
            changes["stop_words"] = obj.stop_words + extra
        return Template(replace(obj, **changes) if changes else obj, tokenizer, **options)
    if callable(obj):
        return obj(tokenizer, **options)
    raise UsageError(
        f"template {record.name!r} ({record.load}) is a {type(obj).__name__}; "
        "it must be a swift.template.TemplateMeta or a factory(tokenizer, **options)"
    )


OWN_CHAT_TEMPLATE = "chat_template"


def generation_stop_words(tokenizer: Any) -> tuple[str, ...]:
    """The end tokens ``generation_config.json`` next to the tokenizer lists (``eos_token_id``, one or several).

    Models whose turns end with a token other than the tokenizer's EOS (Gemma's
    ``<end_of_turn>``, InternLM's ``<|im_end|>``, Llama 3's ``<|eot_id|>``) list it there;
    it ends an assistant turn's trained span and stops generation.
    """
    import json
    import os

    folder = getattr(tokenizer, "name_or_path", None)
    path = os.path.join(str(folder), "generation_config.json") if folder else ""
    try:
        with open(path, encoding="utf-8") as fh:
            ids = json.load(fh).get("eos_token_id")
    except (OSError, ValueError, AttributeError):
        return ()
    ids = ids if isinstance(ids, list) else [ids]
    words = []
    for token_id in ids:
        if isinstance(token_id, int):
            token = tokenizer.convert_ids_to_tokens(token_id)
            if isinstance(token, str) and token:
                words.append(token)
    return tuple(dict.fromkeys(words))


def no_chat_template_message(model: str | None = None) -> str:
    """Why a model without a chat template needs ``--template``, with the choices."""
    from swift.kernel import registry

    names = sorted(r.name for r in registry("templates").records() if r.name != OWN_CHAT_TEMPLATE)
    what = f"{model} has" if model else "the model has"
    return (
        f"{what} no chat template (tokenizer_config.json 'chat_template' or chat_template.jinja) and swift "
        f"knows no template of its family: pass --template, one of {', '.join(names)}; "
        "or --use_chat_template false to train on plain text."
    )
