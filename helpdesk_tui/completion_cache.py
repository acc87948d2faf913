"""The names shell completion offers (agents, teams, tags), kept in the user's cache dir.

Completing from the database would cost the data layer's import (about 0.3 s) on every
Tab; instead the desk's own front doors write the names here whenever they have the desk
open (every ``helpdesk`` command that read or changed it, and the terminal UI at start),
and a Tab reads this small file. So completion is at worst as stale as the user's last
command: a change this user made shows at once, another agent's after this user's next
command. It never shows more than the user could read: the file is the user's own (0600,
in their cache dir), written only by a process that had the desk open as them, and it is
not used once the desk's database file is no longer readable to them.

A leaf module: standard library and platformdirs only.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import platformdirs

APP_NAME = "helpdesk-tui"
FILE = "completion.json"
KINDS = ("agent", "team", "tag")


def cache_dir() -> Path:
    override = os.environ.get("HELPDESK_CACHE_DIR")
    return Path(override) if override else platformdirs.user_cache_path(APP_NAME)


def cache_file() -> Path:
    return cache_dir() / FILE


def remember(names: Mapping[str, Sequence[str]], *, sqlite_path: Path | None) -> None:
    """Keep ``names`` (kind → values) for completion; unchanged content is not rewritten.

    ``sqlite_path`` is the desk's database file (None on PostgreSQL): completion stops
    using the names once the user can no longer read it.
    """
    data = {
        "sqlite_path": str(sqlite_path) if sqlite_path is not None else None,
        **{kind: sorted(names.get(kind, ())) for kind in KINDS},
    }
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    path = cache_file()
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return
    write_private(path, text)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once, readable by its owner alone (0600, in a 0700
    folder): a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp: mode 0600
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def recall(kind: str) -> list[str]:
    """The kept names of ``kind``; none if there are none yet, or the desk is out of reach."""
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict):
        return []
    sqlite_path = data.get("sqlite_path")
    if isinstance(sqlite_path, str) and not os.access(sqlite_path, os.R_OK):
        return []
    values = data.get(kind)
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
