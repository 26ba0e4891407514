"""Hook specification of the ``models`` family: model types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import ModelRecord


@hookspec
def swift_register_models() -> Iterable[ModelRecord]:
    """Register model types.

    Called once per process, the first time a command needs the ``models`` family
    (``swift sft``, ``swift infer`` …, and ``swift plugins list``).

    Yield one :class:`~swift.kernel.records.ModelRecord` per ``model_type``. The
    record's ``load`` names a :class:`swift.contracts.ModelLoader`,
    ``fn(model_dir, args, record) -> (model, tokenizer)`` (swift-transformers documents
    a generic one for ``AutoModelForCausalLM`` checkpoints in its public module);
    ``template`` names the default chat template; ``architectures`` /
    ``config_model_types`` let swift pick the type from ``config.json`` when
    ``--model_type`` is absent; ``model_ids`` lists hub ids of the type.

    Example::

        @hookimpl
        def swift_register_models():
            yield ModelRecord(
                name="acme",
                load="swift_acme.models:load_acme",
                template="acme",
                architectures=("AcmeForCausalLM",),
                model_ids=("acme/acme-7b*",),
            )
    """
