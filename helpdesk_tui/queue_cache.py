"""The queue's first page as the user last saw it, kept in the user's cache dir.

Loading the data layer (SQLAlchemy, the ORM, the tables) and opening the desk take longer
than drawing the whole screen, so the terminal UI draws this page first, marked as what it
is ("as of HH:MM, loading…") and read-only, and replaces it with the live page as soon as
the desk is open. The file is written by the queue when it reads that page from the desk.

It is only ever shown to the user who wrote it, for the desk it was read from: the file is
theirs (0600, owned by their uid, not writable by anyone else, in their cache dir) and
names the login and a hash of the desk's URL (never the URL: it may hold a password); on
SQLite it is not used once the desk's database file is no longer readable to them. What it
holds is read back as hostile text, like anything from outside: each field is checked for
its type and each status, priority and type for being one of the desk's, and the table
cleans every string on its way to the terminal, as it does the desk's.

The desk's own name (``helpdesk desk name``) is kept with the page, so the title of the
first frame is the desk's, not the config's ``desk_name`` until the desk opens; it is
cleaned by the desk's rule for its name (``desk.desk_names``) when read back.

Standard library, platformdirs and the desk's plain values only: no data layer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from helpdesk_tui.completion_cache import cache_dir, write_private
from helpdesk_tui.desk.desk_names import clean_desk_name
from helpdesk_tui.desk.kinds import Priority, Status, TicketType
from helpdesk_tui.desk.queue_values import QueueQuery, TicketRow

FILE = "queue.json"
KEEP_ROWS = 60
"""Rows kept: a tall terminal's screenful (the rest come with the live page)."""
VERSION = 1

_CHOICES: dict[str, frozenset[str]] = {
    "status": frozenset(Status),
    "priority": frozenset(Priority),
    "type": frozenset(TicketType),
}


@dataclass(frozen=True)
class KeptPage:
    """A first page as it was read: which view, which query, its rows, and when."""

    view: str
    rows: list[TicketRow]
    as_of: datetime
    desk_name: str | None = None
    """The desk's own name when the page was read (cleaned); None: it had none (the
    config's ``desk_name`` is its title)."""


def cache_file() -> Path:
    return cache_dir() / FILE


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _identity(url: str, login: str) -> dict[str, Any]:
    return {"version": VERSION, "desk": _digest(url), "login": login, "uid": os.getuid()}


def keep(
    *,
    url: str,
    login: str,
    sqlite_path: Path | None,
    view: str,
    query: QueueQuery,
    rows: Sequence[TicketRow],
    as_of: datetime,
    desk_name: str | None = None,
) -> None:
    """Keep the first page of ``view`` (shown with ``query``) for the next start, and the
    desk's own name as read with it (``desk_name``; None: the desk has none).

    Unchanged content is not rewritten; the file is replaced whole (never half written).
    """
    data = {
        **_identity(url, login),
        "view": view,
        "query": _digest(repr(query)),
        "sqlite_path": str(sqlite_path) if sqlite_path is not None else None,
        "as_of": as_of.isoformat(),
        "rows": [row.as_json() for row in rows[:KEEP_ROWS]],
        "desk_name": desk_name,
    }
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    path = cache_file()
    with contextlib.suppress(OSError):
        old = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(old, dict) and {**old, "as_of": None} == {**data, "as_of": None}:
            return  # the same rows: the time they were first seen so stays
    write_private(path, text)


def forget() -> None:
    """No page is kept any more: the desk refuses this user now (deactivated, removed), so
    the next start shows none of its tickets (only "loading…", then the desk's one line)."""
    with contextlib.suppress(OSError):
        cache_file().unlink()


def recall(*, url: str, login: str, views: Mapping[str, QueueQuery]) -> KeptPage | None:
    """The kept first page for this user on the desk at ``url``, if there is one that can
    be trusted to be theirs, of one of ``views`` (name → query) with the same query as
    then; None otherwise (the queue then says "loading…")."""
    path = cache_file()
    try:
        with path.open(encoding="utf-8") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            data = json.loads(handle.read(4 * 1024 * 1024))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if any(data.get(key) != value for key, value in _identity(url, login).items()):
        return None
    view = data.get("view")
    if not isinstance(view, str) or view not in views:
        return None
    if data.get("query") != _digest(repr(views[view])):
        return None
    sqlite_path = data.get("sqlite_path")
    if sqlite_path is not None and (
        not isinstance(sqlite_path, str) or not os.access(sqlite_path, os.R_OK)
    ):
        return None
    try:
        as_of = _datetime(data.get("as_of"))
        found = data.get("rows")
        if not isinstance(found, list):
            return None
        rows = [_row(item) for item in found[:KEEP_ROWS]]
    except (TypeError, ValueError):
        return None
    name = data.get("desk_name")
    desk_name = clean_desk_name(name) or None if isinstance(name, str) else None
    return KeptPage(view=view, rows=rows, as_of=as_of, desk_name=desk_name)


def _datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("not a time")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a time without its zone")
    return parsed


_HINTS = typing.get_type_hints(TicketRow)


def _row(item: object) -> TicketRow:
    """One row read back, every field checked against TicketRow's type (TypeError if not)."""
    if not isinstance(item, dict):
        raise TypeError("not a row")
    values: dict[str, Any] = {}
    for spec in fields(TicketRow):
        value = item.get(spec.name)
        hint = _HINTS[spec.name]
        optional = type(None) in typing.get_args(hint)
        kind = next((t for t in typing.get_args(hint) if t is not type(None)), hint)
        if value is None and optional:
            values[spec.name] = None
        elif kind is datetime:
            values[spec.name] = _datetime(value)
        elif kind is int and type(value) is int:
            values[spec.name] = value
        elif kind is str and isinstance(value, str):
            if spec.name in _CHOICES and value not in _CHOICES[spec.name]:
                raise ValueError(f"unknown {spec.name}")
            values[spec.name] = value
        else:
            raise TypeError(f"{spec.name}: not a {kind}")
    return TicketRow(**values)
