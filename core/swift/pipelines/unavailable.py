"""Bodies of commands that the core declares and a plugin distribution implements.

When the implementing distribution is installed, its command record of the same
name overrides the builtin one and these functions never run.
"""

from __future__ import annotations

from swift.kernel import MissingProviderError
from swift.kernel.families import install_hint


def _declared(command: str, distribution: str, how: str = "is implemented by the {} plugin"):
    def main(args) -> None:
        raise MissingProviderError(
            f"`swift {command}` {how.format(distribution)}, which is not installed. "
            f"Install it: {install_hint(distribution)}",
            "commands",
        )

    main.__name__ = command.replace("-", "_")
    main.__doc__ = f"Tell the user to install {distribution} for `swift {command}`."
    return main


deploy = _declared("deploy", "swift-serve")
rollout = _declared("rollout", "swift-serve")
eval = _declared("eval", "swift-eval")  # noqa: A001 - the command is called eval
app = _declared("app", "swift-ui")
web_ui = _declared("web-ui", "swift-ui")
plugins_new = _declared("plugins new", "swift-sdk", "comes with {}")
