"""The ``swift`` subcommands of ms-swift, plus ``swift plugins``.

Commands whose work is a plugin family (training → trainers, inference → engines)
run a core pipeline that resolves the family. Whole applications (the HTTP
server, the web UI) are declared here and implemented by the distribution named
in ``provided_by``, which registers a command of the same name.
"""

from __future__ import annotations

from swift.kernel import CommandRecord, hookimpl

_TRAIN = ("models", "templates", "agent_templates", "datasets", "tuners", "losses", "trainers")
_INFER = ("models", "templates", "agent_templates", "datasets", "tuners", "engines")
_A = "swift.arguments:"


def _cmd(name, summary, arguments, load, families=(), order=100, distributed=False, provided_by="", parent=""):
    return CommandRecord(
        parent=parent,
        name=name,
        load=load,
        summary=summary,
        arguments=arguments and _A + arguments,
        families=families,
        distributed=distributed,
        provided_by=provided_by,
        order=order,
    )


COMMANDS = (
    _cmd(
        "pt",
        "Pre-train (continue training) a model on raw text.",
        "PretrainArguments",
        "swift.pipelines.train:pt_main",
        _TRAIN,
        10,
        distributed=True,
    ),
    _cmd(
        "sft",
        "Supervised fine-tuning on chat or instruction data.",
        "TrainArguments",
        "swift.pipelines.train:sft_main",
        _TRAIN,
        11,
        distributed=True,
    ),
    _cmd(
        "rlhf",
        "Align with preferences or rewards: DPO, ORPO, SimPO, KTO, CPO, GRPO.",
        "RLHFArguments",
        "swift.pipelines.train:rlhf_main",
        (*_TRAIN, "rewards", "schedulers", "tools", "engines"),
        12,
        distributed=True,
    ),
    _cmd(
        "infer",
        "Chat with a model or run it over a dataset.",
        "InferArguments",
        "swift.pipelines.infer:infer_main",
        _INFER,
        20,
        distributed=True,
    ),
    _cmd(
        "merge-lora",
        "Merge LoRA adapters into the base weights.",
        "ExportArguments",
        "swift.pipelines.export:merge_lora_main",
        ("models", "templates", "tuners"),
        21,
    ),
    _cmd(
        "export",
        "Merge, quantize or push a model.",
        "ExportArguments",
        "swift.pipelines.export:export_main",
        ("models", "templates", "tuners", "datasets"),
        22,
    ),
    _cmd(
        "deploy",
        "Serve a model over an OpenAI-compatible HTTP API.",
        "DeployArguments",
        "swift.pipelines.unavailable:deploy",
        _INFER,
        30,
        provided_by="swift-serve",
    ),
    _cmd(
        "rollout",
        "Serve generation and weight updates for GRPO training.",
        "RolloutArguments",
        "swift.pipelines.unavailable:rollout",
        (*_INFER, "schedulers"),
        31,
        provided_by="swift-serve",
    ),
    _cmd(
        "sample",
        "Sample several responses per prompt, optionally scored by rewards.",
        "SamplingArguments",
        "swift.pipelines.sample:sample_main",
        (*_INFER, "rewards"),
        32,
    ),
    _cmd(
        "eval",
        "Evaluate a model on benchmark or custom datasets.",
        "EvalArguments",
        "swift.pipelines.unavailable:eval",
        (*_INFER, "eval_backends"),
        33,
        provided_by="swift-eval",
    ),
    _cmd(
        "app",
        "Chat with a model in a browser app.",
        "AppArguments",
        "swift.pipelines.unavailable:app",
        _INFER,
        40,
        provided_by="swift-ui",
    ),
    _cmd(
        "web-ui",
        "Launch the training and inference web UI.",
        "WebUIArguments",
        "swift.pipelines.unavailable:web_ui",
        (),
        41,
        provided_by="swift-ui",
    ),
    _cmd("plugins", "List installed plugins, check them, or scaffold a new one.", "", "swift.cli.plugins:main", (), 90),
    _cmd(
        "template",
        "Check swift's chat template against the model's own (swift template check --model DIR).",
        "",
        "swift.cli.template:main",
        (),
        92,
    ),
    _cmd(
        "models",
        "List the model types: architectures, default template, what it is checked against.",
        "",
        "swift.cli.models:main",
        (),
        93,
    ),
    _cmd(
        "plugins-new",
        "write a ready-to-install plugin package",
        "",
        "swift.pipelines.unavailable:plugins_new",
        (),
        91,
        provided_by="swift-sdk",
        parent="plugins",
    ),
)


@hookimpl
def swift_register_commands():
    yield from COMMANDS
