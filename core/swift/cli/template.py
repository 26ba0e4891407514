"""``swift template ACTION``: ``check`` compares swift's template with the model's own chat template.

``swift template check --model DIR [--template NAME] [--tools_prompt P] [--model_type T] [--json]`` exits 0 when
every checked conversation encodes to the same token ids (or differs only where swift differs
on purpose), 1 when one differs (the first difference is printed), 2 on a usage error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from swift.arguments._fields import arg, argclass
from swift.kernel import UsageError


@argclass
class TemplateCheckArguments:
    """``swift template check``: swift's template against the model's own chat template."""

    model: str | None = arg(None, "Model folder or hub id; its tokenizer's chat_template is the reference.")
    model_type: str | None = arg(None, "Model type (its default template is checked when --template is unset).")
    model_revision: str | None = arg(None, "Model revision (branch, tag or commit) on the hub.")
    template: str | None = arg(None, "Template to check; default: the model type's (or its published revision).")
    tools_prompt: str | None = arg(None, "Tool format of the tool conversations (default: the template's native one).")
    json: bool = arg(False, "Print the results as JSON instead of a table.")


def main(argv: Sequence[str]) -> int:
    """Run ``swift template ACTION``."""
    argv = list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: swift template check --model DIR [--template NAME] [--tools_prompt P] [--model_type T] [--json]")
        return 0 if argv else 2
    if argv[0] != "check":
        raise UsageError(f"unknown action {argv[0]!r} of `swift template`; available: check")
    return check(argv[1:])


def check(argv: Sequence[str]) -> int:
    """``swift template check``: 0 when the templates agree, 1 when they differ."""
    from swift.arguments import parse_args
    from swift.services import load_tokenizer, resolve_model_dir, select_model_record
    from swift.template import get_template, model_template
    from swift.template.check import check_template, report

    args = parse_args(TemplateCheckArguments, list(argv), prog="swift template check")
    if not args.model:
        raise UsageError("--model is required: the model whose own chat template is the reference")
    model_dir = resolve_model_dir(args)
    tokenizer = load_tokenizer(model_dir, args)
    record = select_model_record(model_dir, model=args.model, model_type=args.model_type)
    name = model_template(args.template, record.template, tokenizer)
    if not name:
        raise UsageError(f"model type {record.name!r} has no default template: pass --template")
    template = get_template(name, tokenizer, tools_prompt=args.tools_prompt)
    try:
        results = check_template(template, tokenizer)
    except ValueError as exc:
        raise UsageError(f"{args.model}: {exc}") from exc
    if args.json:
        rows = [
            {"conversation": r.name, "part": r.part, "equal": r.equal, "ok": r.ok, "deliberate": r.deliberate,
             "error": r.error, "refused": r.refused, "model_ids": r.expected, "swift_ids": r.actual}
            for r in results
        ]  # fmt: skip
        print(json.dumps({"template": name, "model": args.model, "results": rows}, ensure_ascii=False))
    else:
        print(report(results, tokenizer, name))
    return 0 if all(r.ok for r in results) else 1
