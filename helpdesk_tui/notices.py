"""What the terminal told an agent, kept in their cache dir, so a notice is told once, and
again only when it has something new: the ratings waiting for a follow-up ("96 customer
ratings need a follow-up") were a toast over six rows of the queue at every start, and
then the same line once a day whether or not the agent had read it.

The rule is :func:`should_tell`: the agent's read mark is the tickets they were told of
(at a start, on the header's line that follows the desk meanwhile, or by the alert of a
new one while their queue was open). The file (``told.json``, 0600, in the user's cache dir) is
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

from helpdesk_tui.completion_cache import cache_dir, write_private

FILE = "told.json"


@dataclass(frozen=True)
class Told:
    """A notice told: the tickets it told of, by number (what this agent has seen)."""

    numbers: frozenset[int]


def should_tell(numbers: frozenset[int], told: Told | None) -> bool:
    """The rule, once: a notice of tickets is told when one of them was not told before (a
    new concern); never again for those the agent saw, nor when some were done since."""
    return bool(numbers - (told.numbers if told is not None else frozenset()))


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
    """What was last told of ``what`` to ``login`` on the desk at ``url``; None: nothing
    (or a record of an older form: told once more)."""
    item = _read().get(_key(url, login, what))
    numbers = item.get("numbers") if isinstance(item, dict) else None
    if isinstance(numbers, list) and all(
        isinstance(n, int) and not isinstance(n, bool) for n in numbers
    ):
        return Told(frozenset(numbers))
    return None


def remember(*, url: str, login: str, what: str, told: Told) -> None:
    """Keep that ``told`` was told (raises OSError: the caller logs it; a cache)."""
    found = _read()
    found[_key(url, login, what)] = {"numbers": sorted(told.numbers)}
    write_private(cache_dir() / FILE, json.dumps(found, sort_keys=True))
