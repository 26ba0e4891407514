"""Calibration texts for gptq/awq: rows of ``--dataset`` rendered by the chat template.

Calibration data should look like what the model will see, so rows are rendered
through the same template inference uses. Without ``--dataset`` a short built-in
English text is used (a warning says so): enough to run, not to calibrate well.
"""

from __future__ import annotations

import copy
import random
import sys
from typing import Any

from swift.kernel import UsageError

# Varied plain prose (narrative, instructions, facts, dialogue, code) so that
# activation statistics are not dominated by a single register.
DEFAULT_TEXTS = (
    "The river runs past the old mill, where children once gathered to watch the water wheel "
    "turn. Today the mill is a small museum, and visitors can read how flour was ground by hand.",
    "To make a cup of tea, boil fresh water, warm the pot, add one spoon of leaves per cup and "
    "let it steep for three to five minutes before pouring it through a strainer.",
    "Light travels at about three hundred thousand kilometres per second, so sunlight needs a "
    "little more than eight minutes to reach the Earth.",
    "User: Can you help me plan a trip to the mountains?\nAssistant: Of course. How many days "
    "do you have, and do you prefer hiking, cycling or quiet walks by the lakes?",
    "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
    "    return a\n\nprint([fibonacci(i) for i in range(10)])",
    "In 1969 two astronauts walked on the Moon while a third orbited above them, and millions "
    "of people followed the landing on television.",
    "A good summary keeps the main claim, the strongest evidence and the conclusion, and drops "
    "the examples that only repeat the same point.",
    "Photosynthesis turns water and carbon dioxide into sugar and oxygen, using the energy of "
    "light captured by chlorophyll in the leaves of plants.",
    "Question: If a train leaves at nine and travels for two and a half hours, when does it "
    "arrive?\nAnswer: It arrives at half past eleven.",
    "The committee met on Tuesday to discuss the budget. After a long debate, members agreed "
    "to fund the new library and to postpone the repairs of the sports hall.",
    "Markets opened higher this morning as investors welcomed lower inflation figures, while "
    "energy prices fell for the third week in a row.",
    "SELECT name, count(*) FROM orders JOIN customers ON orders.customer_id = customers.id "
    "GROUP BY name ORDER BY count(*) DESC LIMIT 10;",
)

DATASET_LOADER = "swift_transformers.data.loading:load_datasets"


def calibration_texts(args: Any, template: Any) -> list[str]:
    """Up to ``--quant_n_samples`` calibration texts.

    Args:
        args: ``ExportArguments``: ``dataset`` (and the data flags), ``quant_n_samples``,
            ``data_seed``.
        template: The model's :class:`swift.template.Template`, used to render rows.

    Returns:
        Rendered conversations of ``--dataset`` (a random subset of ``quant_n_samples``
        rows, fixed by ``--data_seed``), or the built-in texts without ``--dataset``.

    Raises:
        UsageError: When ``--dataset`` yields no usable rows.
    """
    n = max(int(args.quant_n_samples), 1)
    if not args.dataset:
        print(
            "swift export: warning: no --dataset given; calibrating on a short built-in English "
            "text. Pass --dataset with data like your use for a better quantized model.",
            file=sys.stderr,
        )
        return list(DEFAULT_TEXTS[:n])
    from swift_transformers.data.loading import load_datasets

    view = copy.copy(args)
    view.split_dataset_ratio = 0.0  # every row calibrates; nothing is held out
    view.val_dataset = []
    rows, _ = load_datasets(view, require_response=False)
    if rows is None or len(rows) == 0:
        raise UsageError(f"--dataset {' '.join(args.dataset)} has no rows to calibrate with.")
    indices = list(range(len(rows)))
    if len(indices) > n:
        indices = sorted(random.Random(args.data_seed).sample(indices, n))
    return [render_row(template, rows[i]) for i in indices]


def render_row(template: Any, row: dict) -> str:
    """The text of one standardized row as the model sees it (whole conversation)."""
    return template.render(row["messages"], system=row.get("system"), tools=row.get("tools") or None)
