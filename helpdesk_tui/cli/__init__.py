"""The ``helpdesk`` command.

:func:`run` is the program (the ``helpdesk`` entry point, ``python -m helpdesk_tui``): it
hands the command to the user's warm command server when one answers (``warm_client``),
else runs it here. It imports nothing heavy itself: click and the group load only when the
command runs in this process. ``main`` is the click group (``root.main``), loaded on first
use, for callers that run the CLI in their own process (the tests, ``CliRunner``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: importing typing is ≈ 3 ms of a warm command)
if TYPE_CHECKING:
    from typing import Any

    from helpdesk_tui.cli.root import SUBCOMMAND_HELP, SUBCOMMANDS, main

__all__ = ["SUBCOMMANDS", "SUBCOMMAND_HELP", "main", "run"]

_ROOT_NAMES = frozenset(("main", "SUBCOMMANDS", "SUBCOMMAND_HELP"))


def run(prog_name: str | None = None) -> None:
    """The ``helpdesk`` program: the command line from ``sys.argv``; ends the process."""
    from helpdesk_tui.cli.warm_client import run as run_command

    run_command(prog_name)


def __getattr__(name: str) -> Any:
    if name in _ROOT_NAMES:
        from helpdesk_tui.cli import root

        return getattr(root, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
