"""Loss conformance: a scalar that ignores ``-100`` labels and back-propagates."""

from __future__ import annotations

from swift.kernel import load_object
from swift_sdk.conformance.agents import check_loss_scale
from swift_sdk.conformance.errors import CheckSkipped, fail
from swift_sdk.conformance.plugin import PluginUnderTest


def check_loss(plugin: PluginUnderTest, name: str) -> None:
    """Call the loss ``name`` as the Trainer does: ``fn(outputs, labels, num_items_in_batch=None)``.

    Checks: it returns a finite scalar tensor; gradients reach the logits; logits whose
    next label is ``-100`` (and the last position, which predicts nothing) get no gradient.

    Raises:
        CheckSkipped: For records of another kind (``kind="loss_scale"`` records are checked
            by :func:`~swift_sdk.conformance.agents.check_loss_scale`).
        ConformanceError: Naming the loss and what is wrong.
    """
    import torch
    from transformers.modeling_outputs import CausalLMOutputWithPast

    record = plugin.record("losses", name)
    if record.kind == "loss_scale":
        return check_loss_scale(plugin, name)
    if record.kind != "loss":
        raise CheckSkipped(f"loss {name!r} is a {record.kind!r} record; only kind='loss' has a behavioural check")

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="losses", record=name)

    with plugin.active():
        fn = load_object(record.load, what=f"loss {name!r}")
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 6, 13, generator=generator, requires_grad=True)
    labels = torch.randint(0, 13, (2, 6), generator=generator)
    labels[:, :3] = -100  # a prompt: nothing is trained there
    loss = fn(CausalLMOutputWithPast(logits=logits), labels, num_items_in_batch=None)
    if not torch.is_tensor(loss) or loss.dim() != 0:
        raise problem(f"returned {type(loss).__name__} {getattr(loss, 'shape', '')}; a loss is a scalar tensor")
    if not torch.isfinite(loss):
        raise problem(f"returned {loss.item()} on ordinary logits")
    loss.backward()
    if logits.grad is None or not logits.grad.abs().sum() > 0:
        raise problem("no gradient reaches the logits")
    # position t predicts labels[t + 1]; t = 0, 1 predict masked labels, t = 5 predicts nothing
    leaked = logits.grad[:, [0, 1, 5]].abs().max().item()
    if leaked > 0:
        raise problem(f"logits whose label is -100 get gradient {leaked:.3g}; masked tokens must not count")
