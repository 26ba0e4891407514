"""Encoding speed of the checkpoint's own chat template (jinja backend) against the swift template.

Usage:
    python bench/encode_jinja.py [--rows 20000] [--repeats 3] [--json OUT]

Same rows as ``bench/encode.py`` (synthetic 1-4 round chats, some with a system prompt), the
SDK's tiny tokenizer whose chat template is ChatML. Timed in this process, median of
``--repeats``: ``template.encode(row)`` over every row with

* ``swift chatml`` — swift's own layout (the baseline);
* ``jinja (prefixes)`` — ``--template_backend jinja``: the tokenizer's chat template, the mask
  found by rendering conversation prefixes (what an unknown family trains with);
* ``jinja ({% generation %})`` — the same template with generation blocks around each reply (the
  SDK's tiny ChatML template as it is): the blocks are the mask.

Both jinja cases are checked to give the same ids and labels as the baseline on every row.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from encode import make_rows  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json")
    o = p.parse_args()
    from swift.template import get_template
    from swift_sdk.tiny import CHATML_TEMPLATE, build_tokenizer

    rows = make_rows(o.rows)
    tokenizer = build_tokenizer()
    blocks, plain = tokenizer, copy.deepcopy(tokenizer)  # the tiny ChatML template has generation blocks
    plain.chat_template = CHATML_TEMPLATE.replace("{% generation %}", "").replace("{% endgeneration %}", "")
    cases = {
        "swift chatml": get_template("chatml", tokenizer),
        "jinja (prefixes)": get_template("chatml", plain, template_backend="jinja"),
        "jinja ({% generation %})": get_template("chatml", blocks, template_backend="jinja"),
    }
    expected = [cases["swift chatml"].encode(r) for r in rows]
    for name, template in cases.items():
        mismatches = sum(template.encode(r) != e for r, e in zip(rows, expected))
        if mismatches:
            raise SystemExit(f"{name}: {mismatches} of {len(rows)} rows encode differently from swift chatml")
    results = {}
    for name, template in cases.items():
        times = []
        for _ in range(o.repeats):
            start = time.process_time()
            for row in rows:
                template.encode(row)
            times.append(time.process_time() - start)
        results[name] = len(rows) / statistics.median(times)
    base = results["swift chatml"]
    print(f"{'case':<28}{'rows/CPU-s':>12}{'ratio':>9}   ({len(rows)} rows, load {os.getloadavg()[0]:.2f})")
    for name, rate in results.items():
        print(f"{name:<28}{rate:>12.0f}{rate / base:>8.3f}x")
    if o.json:
        Path(o.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
