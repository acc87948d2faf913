"""How the user who reads a hint calls this program: the command a hint names.

The README installs helpdesk into a virtual environment (``.venv/bin/helpdesk``) and runs
it from there; ``helpdesk`` alone is then not a command that works in the user's shell.
A hint says ``helpdesk demo`` only where ``helpdesk`` on the PATH is this same program;
elsewhere it names the path this program was started by.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

NAME = "helpdesk"


def command_name(
    argv0: str | None = None,
    *,
    which: Callable[[str], str | None] = shutil.which,
    home: Path | None = None,
) -> str:
    """``helpdesk`` if that name on the PATH runs this program, else the program's own path
    (``~/…`` under the home directory, quoted for a shell where it must be); started
    otherwise than as ``helpdesk`` (``python -m helpdesk_tui``), ``helpdesk``."""
    program = Path(sys.argv[0] if argv0 is None else argv0)
    if program.name != NAME:
        return NAME
    found = which(NAME)
    try:
        if found is not None and os.path.samefile(found, program):
            return NAME
    except OSError:
        pass
    full = program.absolute()
    home = Path.home() if home is None else home
    if full.is_relative_to(home):
        return "~/" + shlex.quote(str(full.relative_to(home)))
    return shlex.quote(str(full))
