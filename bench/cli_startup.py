"""Wall time of swift's light commands, and the ratio to ms-swift's `swift sft --help`.

Usage:
    python bench/cli_startup.py [--runs 15] [--ms-swift-python /path/to/other/venv/bin/python]

Each command runs ``--runs`` times in a fresh process; the median is reported.
With ``--ms-swift-python`` (an interpreter of an environment where ms-swift is
installed) the same is measured for ms-swift's ``swift sft --help`` and
``swift --help``, and the ratios are printed. Results go to stdout as a table and,
with ``--json PATH``, to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

OURS = {
    "swift --help": ["--help"],
    "swift sft --help": ["sft", "--help"],
    "swift plugins list": ["plugins", "list"],
}
# ms-swift's entry point module; `python -m swift.cli.main` works for both projects.
THEIRS = {
    "ms-swift swift --help": ["--help"],
    "ms-swift swift sft --help": ["sft", "--help"],
}


def time_command(python: str, argv: list[str], runs: int) -> tuple[float, int]:
    """Median wall seconds of ``python -m swift.cli.main argv`` over ``runs`` runs, and its exit code."""
    samples = []
    code = 0
    env = {**os.environ, "SWIFT_PLUGINS_STRICT": "0"}
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run([python, "-m", "swift.cli.main", *argv], capture_output=True, env=env)
        samples.append(time.perf_counter() - start)
        code = proc.returncode
    return statistics.median(samples), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python", default=sys.executable, help="interpreter of the swift environment")
    parser.add_argument("--ms-swift-python", help="interpreter of an environment with ms-swift installed")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    baseline, _ = time_command(args.python, ["--version"], args.runs)
    results["python + swift --version"] = {"median_s": baseline}
    for label, argv in OURS.items():
        median, code = time_command(args.python, argv, args.runs)
        results[label] = {"median_s": median, "exit_code": code}
    if args.ms_swift_python:
        for label, argv in THEIRS.items():
            median, code = time_command(args.ms_swift_python, argv, max(3, args.runs // 3))
            results[label] = {"median_s": median, "exit_code": code}
        for ours, theirs in (
            ("swift sft --help", "ms-swift swift sft --help"),
            ("swift --help", "ms-swift swift --help"),
        ):
            ratio = results[ours]["median_s"] / results[theirs]["median_s"]
            results[f"ratio {ours} / ms-swift"] = {"ratio": ratio}

    width = max(len(k) for k in results) + 2
    for label, row in results.items():
        if "ratio" in row:
            print(f"{label.ljust(width)}{row['ratio']:.3f}x")
        else:
            print(f"{label.ljust(width)}{row['median_s'] * 1000:8.1f} ms   (exit {row.get('exit_code', 0)})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
