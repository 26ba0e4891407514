"""Registration hooks of swift-transformers. Light: record tables only, no torch."""

from __future__ import annotations

from swift.kernel import hookimpl


@hookimpl
def swift_register_models():
    from swift_transformers.models.catalog import MODEL_RECORDS

    yield from MODEL_RECORDS


@hookimpl
def swift_register_datasets():
    from swift_transformers.data.catalog import DATASET_RECORDS

    yield from DATASET_RECORDS


@hookimpl
def swift_register_losses():
    from swift_transformers.train.catalog import LOSS_RECORDS

    yield from LOSS_RECORDS


@hookimpl
def swift_register_trainers():
    from swift_transformers.train.catalog import TRAINER_RECORDS

    yield from TRAINER_RECORDS


@hookimpl
def swift_register_engines():
    from swift_transformers.engine.catalog import ENGINE_RECORDS

    yield from ENGINE_RECORDS
