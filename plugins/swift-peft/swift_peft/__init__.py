"""swift-peft: tuning methods of swift on the peft library."""

__version__ = "0.1.0"
