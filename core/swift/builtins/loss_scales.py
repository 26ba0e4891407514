"""The built-in loss-scale strategies (``--loss_scale``), records of the ``losses`` family."""

from __future__ import annotations

from swift.kernel import LossRecord, hookimpl

_LIB = "swift.template.loss_scale:"

LOSS_SCALES = (
    ("default", "DEFAULT", "Every assistant turn, weight 1 (the reference's default)."),
    ("last_round", "LAST_ROUND", "Only the final assistant turn."),
    ("all", "ALL", "Every token of the row (swift pt)."),
    ("react", "REACT", "ReAct replies: Action / Action Input weigh 2, observations 0."),
    ("hermes", "HERMES", "<tool_call>…</tool_call> blocks weigh 2."),
    ("qwen", "QWEN", "Qwen-Agent replies: ✿FUNCTION✿ / ✿ARGS✿ weigh 2, ✿RESULT✿ text 0."),
    ("agentflan", "AGENTFLAN", "ReAct keys weigh 1, observation text 0."),
    ("alpha_umi", "ALPHA_UMI", "α-UMI: Next / Action / Action Input weigh 2, observation text 0."),
    ("ignore_empty_think", "IGNORE_EMPTY_THINK", "An empty <think></think> block is not trained."),
    (
        "last_round_with_ignore_empty_think",
        "LAST_ROUND_IGNORE_EMPTY_THINK",
        "Only the final turn, without its empty think block.",
    ),
)


@hookimpl
def swift_register_losses():
    for name, attr, summary in LOSS_SCALES:
        yield LossRecord(name=name, load=_LIB + attr, summary=summary, kind="loss_scale")
