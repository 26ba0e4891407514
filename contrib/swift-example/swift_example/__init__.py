"""swift-example: a third-party plugin that extends swift through entry points only.

* model type ``example-tiny`` (a Llama-architecture record) with its chat template ``example``;
* reward ``example_politeness`` for GRPO;
* tuner ``example-lora``: swift-peft's LoRA with rank 4, alpha 8 on every linear layer.
"""

__version__ = "0.1.0"
