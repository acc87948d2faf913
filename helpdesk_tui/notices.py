"""What the terminal told an agent at start, kept in their cache dir, so a notice is told
once a day, or again when what it says changed: the ratings waiting for a follow-up ("96
customer ratings need a follow-up") were a toast over six rows of the queue at every start.

The rule is :func:`should_tell`. The file (``told.json``, 0600, in the user's cache dir) is
keyed by a hash of the desk's URL (never the URL: it may hold a password) and the login;
it is read back as hostile (anything unexpected is as if nothing was told) and losing it
only means a notice told once more.

Standard library and platformdirs only: no data layer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import date

from helpdesk_tui.completion_cache import cache_dir, write_private

FILE = "told.json"


@dataclass(frozen=True)
class Told:
    """A notice told: on which local day, and the count it told."""

    day: str
    count: int


def should_tell(count: int, told: Told | None, today: date) -> bool:
    """The rule, once: a notice of ``count`` things is told when there are any and it was
    not told today with this same count (a new day, or a count that moved, tells again)."""
    return count > 0 and told != Told(today.isoformat(), count)


def _key(url: str, login: str, what: str) -> str:
    desk = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{desk}:{login}:{what}"


def _read() -> dict[str, object]:
    with contextlib.suppress(OSError, ValueError):
        found = json.loads((cache_dir() / FILE).read_text(encoding="utf-8"))
        if isinstance(found, dict):
            return found
    return {}


def recall(*, url: str, login: str, what: str) -> Told | None:
    """What was last told of ``what`` to ``login`` on the desk at ``url``; None: nothing."""
    item = _read().get(_key(url, login, what))
    if not isinstance(item, dict):
        return None
    day, count = item.get("day"), item.get("count")
    if isinstance(day, str) and isinstance(count, int) and not isinstance(count, bool):
        return Told(day, count)
    return None


def remember(*, url: str, login: str, what: str, told: Told) -> None:
    """Keep that ``told`` was told (raises OSError: the caller logs it; a cache)."""
    found = _read()
    found[_key(url, login, what)] = {"day": told.day, "count": told.count}
    write_private(cache_dir() / FILE, json.dumps(found, sort_keys=True))
