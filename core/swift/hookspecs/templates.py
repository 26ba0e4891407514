"""Hook specification of the ``templates`` family: chat templates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import TemplateRecord


@hookspec
def swift_register_templates() -> Iterable[TemplateRecord]:
    """Register chat templates.

    Called the first time a command needs the ``templates`` family.

    Yield one :class:`~swift.kernel.records.TemplateRecord` per ``--template`` name.
    ``load`` names a :class:`swift.template.TemplateMeta` (prefix, system, prompt,
    separator, suffix, stop words; :class:`swift.contracts.TemplateMetaLike`). Bound to a
    tokenizer by :func:`swift.template.get_template`, it is the
    :class:`swift.contracts.Encoder` that training, inference and serving share.
    A template that needs more than a layout (a vision-language model's image processor)
    names a factory ``fn(tokenizer, **options) -> Encoder`` instead
    (:class:`swift.contracts.TemplateFactory`).

    Example::

        @hookimpl
        def swift_register_templates():
            yield TemplateRecord(name="acme", load="swift_acme.templates:ACME",
                                 stop_words=("<|end|>",))
    """
