"""The ``swift`` command line: a router over the command records."""
