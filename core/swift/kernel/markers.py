"""The two pluggy markers of the ``swift`` project."""

import pluggy

PROJECT_NAME = "swift"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
