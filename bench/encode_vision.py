"""Samples/s of multimodal encoding: swift's template (lazy, data loader workers) vs the processor called directly.

Usage:
    python bench/encode_vision.py [--rows 256] [--workers 0 2] [--size 448] [--json OUT]

A tiny Qwen2-VL checkpoint (its real image processor: resize, normalise, patchify) and
``--rows`` conversations each with one ``--size``×``--size`` PNG on disk, read from the file
every time as training does. Timed in this process, all in one run:

* ``processor`` — the baseline: ``Qwen2VLProcessor`` (apply_chat_template + processor call on
  the opened image), one row at a time; no labels, no image-file checks;
* ``swift template`` — ``template.encode(row)`` (tags checked, image read, ids + labels + pixels);
* ``swift lazy, N workers`` — what ``--lazy_tokenize`` training runs: ``LazyEncodedDataset``
  batched by a torch ``DataLoader`` with N worker processes and swift's collator.

Every swift row is checked to equal the processor's ids and pixels first. On a 2-core machine
the workers share the cores with the main process: compare within one run only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=256)
    p.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    p.add_argument("--size", type=int, default=448)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json")
    o = p.parse_args()

    import torch
    from PIL import Image
    from swift_transformers.data.encoding import LazyEncodedDataset
    from swift_transformers.train.collator import PaddingCollator
    from transformers import AutoImageProcessor, AutoTokenizer
    from transformers.models.qwen2_vl.processing_qwen2_vl import Qwen2VLProcessor
    from transformers.processing_utils import ProcessorMixin

    from swift.template import get_template
    from swift_sdk.tiny_vision import build_tiny_vision_model

    work = Path(tempfile.mkdtemp(prefix="bench-vision-"))
    model = build_tiny_vision_model(work / "model", max_pixels=1024 * 28 * 28)
    rows = []
    for i in range(o.rows):
        path = work / f"{i}.png"
        Image.new("RGB", (o.size, o.size), ((i * 37) % 256, (i * 91) % 256, 128)).save(path)
        rows.append(
            {
                "messages": [
                    {"role": "user", "content": f"<image>Describe picture {i}."},
                    {"role": "assistant", "content": f"A square of color {i}."},
                ],
                "images": [str(path)],
            }
        )
    tokenizer = AutoTokenizer.from_pretrained(model)
    lookup = ProcessorMixin.get_possibly_dynamic_module
    ProcessorMixin.get_possibly_dynamic_module = staticmethod(  # no torchvision: no video processor class
        lambda name: object if "VideoProcessor" in name else lookup(name)
    )
    processor = Qwen2VLProcessor(
        image_processor=AutoImageProcessor.from_pretrained(model),
        tokenizer=tokenizer,
        video_processor=None,
        chat_template=tokenizer.chat_template,
    )
    template = get_template("qwen2_vl", tokenizer)

    def parts(row):
        out = []
        for m in row["messages"]:
            text = m["content"].replace("<image>", "")
            content = [{"type": "image"}] if "<image>" in m["content"] else []
            out.append({"role": m["role"], "content": [*content, {"type": "text", "text": text}]})
        return out

    def by_processor(row):
        text = processor.apply_chat_template(parts(row), tokenize=False)
        with Image.open(row["images"][0]) as image:
            return processor(text=[text], images=[image.convert("RGB")], return_tensors="pt")

    for row in rows[:8]:  # same tokens and pixels before timing anything
        ours, ref = template.encode(row), by_processor(row)
        assert ours["input_ids"] == ref["input_ids"][0].tolist()
        assert torch.allclose(ours["pixel_values"], ref["pixel_values"])

    def run_processor():
        for row in rows:
            by_processor(row)

    def run_template():
        for row in rows:
            template.encode(row)

    collate = PaddingCollator(tokenizer.pad_token_id)

    def run_lazy(workers):
        def go():
            loader = torch.utils.data.DataLoader(
                LazyEncodedDataset(rows, template), batch_size=8, num_workers=workers, collate_fn=collate
            )
            for _ in loader:
                pass

        return go

    cases = {"processor": run_processor, "swift template": run_template}
    for workers in o.workers:
        cases[f"swift lazy, {workers} workers"] = run_lazy(workers)
    results = {}
    for name, fn in cases.items():
        times = []
        for _ in range(o.repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        results[name] = o.rows / statistics.median(times)
    base = results["processor"]
    for name, rate in results.items():
        print(f"{name:28s} {rate:9.1f} samples/s  {rate / base:5.2f}x")
    if o.json:
        Path(o.json).write_text(json.dumps({"rows": o.rows, "size": o.size, "samples_per_s": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
