"""Hooks of swift-transformers. Light: record tables and lazy imports only, no torch.

Besides its records, this plugin answers the service seams of
:mod:`swift.hookspecs.services` (model and dataset loading, quantizing, hub uploads).
"""

from __future__ import annotations

from swift.kernel import hookimpl


@hookimpl
def swift_register_models():
    from swift_transformers.models.catalog import MODEL_RECORDS
    from swift_transformers.vision.catalog import VISION_MODEL_RECORDS

    yield from MODEL_RECORDS
    yield from VISION_MODEL_RECORDS


@hookimpl
def swift_register_templates():
    from swift_transformers.vision.catalog import VISION_TEMPLATE_RECORDS

    yield from VISION_TEMPLATE_RECORDS


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


@hookimpl
def swift_check_args(command, args):
    from swift_transformers.checks import check_args

    check_args(command, args)


# -- service seams (swift.services) ----------------------------------------------------
@hookimpl
def swift_resolve_model_dir(args):
    from swift_transformers.models.resolve import resolve_model_dir

    return resolve_model_dir(args)


@hookimpl
def swift_load_tokenizer(model_dir, args):
    from swift_transformers.models.loading import load_tokenizer

    return load_tokenizer(model_dir, args)


@hookimpl
def swift_load_model(args, model_dir):
    from swift.contracts import LoadedModel
    from swift_transformers.models.loading import load_model

    return LoadedModel(*load_model(args, model_dir=model_dir))


@hookimpl
def swift_load_datasets(args, require_response):
    from swift_transformers.data.loading import load_datasets

    return load_datasets(args, require_response=require_response)


@hookimpl
def swift_get_quantizer(method):
    from swift_transformers.export import quantize

    return quantize


@hookimpl
def swift_push_to_hub(folder, repo_id, token, private, commit_message, use_hf):
    from swift_transformers.export.hub import push_folder

    return push_folder(folder, repo_id, token=token, private=private, commit_message=commit_message, use_hf=use_hf)
