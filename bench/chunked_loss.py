"""The LM head + cross-entropy, forward and backward: the model's way vs swift's chunked loss, same run.

Usage:
    python bench/chunked_loss.py [--tokens 4096 --hidden 896 --vocab 151936 --chunk 2048 --repeats 5 --full]

Times ``F.cross_entropy(hidden @ W.T)`` with its backward (transformers' ``ForCausalLMLoss`` does
this: all logits at once, float32), against ``swift_transformers.train.chunked_loss`` on the same
tensors by its two ways: the fused chunks (gradients made in the forward, the head runs once) and
the checkpointed chunks (the head runs again in the backward; the path of heads that are not a
plain ``nn.Linear``). ``--full`` makes the head trainable (full fine-tuning; LoRA leaves it
frozen). Prints CPU seconds per call (median) and the ratio to the model's way. The default shape is
Qwen2.5-0.5B's head over 4096 trained tokens.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.nn import functional as F


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        out.append(time.process_time() - start)
    return statistics.median(out)


def main() -> None:
    from swift_transformers.train import chunked_loss

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokens", type=int, default=4096)
    p.add_argument("--hidden", type=int, default=896)
    p.add_argument("--vocab", type=int, default=151936)
    p.add_argument("--chunk", type=int, default=2048)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--full", action="store_true", help="the head is trained too")
    o = p.parse_args()
    torch.set_num_threads(o.threads)
    torch.manual_seed(0)
    head = torch.nn.Linear(o.hidden, o.vocab, bias=False)
    head.weight.requires_grad_(o.full)
    hidden = torch.randn(o.tokens, o.hidden, requires_grad=True)
    labels = torch.randint(0, o.vocab, (o.tokens,))

    class Wrapped(torch.nn.Linear):  # not a plain Linear: takes the checkpointed chunks
        pass

    wrapped = Wrapped(o.hidden, o.vocab, bias=False)
    wrapped.weight = head.weight

    def plain():
        F.cross_entropy(head(hidden).float(), labels).backward()

    def chunks(module):
        def run():
            # the loop of chunked_lm_loss over already-selected trained positions
            if chunked_loss._fusable(module, hidden):
                total, _ = chunked_loss._FusedHeadLoss.apply(hidden, module.weight, None, labels, o.chunk, True)
            else:
                total = sum(
                    torch.utils.checkpoint.checkpoint(
                        chunked_loss._chunk,
                        module,
                        hidden[s : s + o.chunk],
                        labels[s : s + o.chunk],
                        use_reentrant=False,
                    )[0]
                    for s in range(0, o.tokens, o.chunk)
                )
            (total / o.tokens).backward()

        return run

    base = _time(plain, o.repeats)
    rows = [("model's loss (all logits)", base), ("swift fused chunks", _time(chunks(head), o.repeats))]
    rows.append(("swift checkpointed chunks", _time(chunks(wrapped), o.repeats)))
    kind = "full (head trained)" if o.full else "LoRA (head frozen)"
    print(f"{o.tokens} tokens, hidden {o.hidden}, vocab {o.vocab}, chunk {o.chunk}, {kind}, {o.threads} thread(s)")
    print(f"{'way':<28}{'CPU s/call':>12}{'ratio':>9}")
    for name, seconds in rows:
        print(f"{name:<28}{seconds:>12.3f}{seconds / base:>8.3f}x")


if __name__ == "__main__":
    main()
