"""swift: fine-tune, align, run and serve large language models.

The core package is deliberately light: it holds the plugin contracts (hook
specifications, records, registries), argument parsing and the CLI router.
Everything that needs torch or other heavy libraries lives in plugin
distributions that register themselves through entry points.
"""

__version__ = "0.1.0"
