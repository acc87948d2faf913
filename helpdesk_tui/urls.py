"""Database URLs for people: the one place a password inside a URL is hidden.

Everything that prints a database URL (``config show``, ``db status``, error lines, the
queue's footer) shows it through :func:`mask_url`, and an error text that may quote the URL
or its password goes through :func:`scrub`. Plain string work, no imports: error paths use
it before anything else is loaded.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
_QUERY_SECRET = re.compile(r"([?&](?:password|passwd|pass)=)([^&]*)", re.IGNORECASE)


def _split(url: str) -> tuple[str, str, str, str] | None:
    """(scheme://, user, password, rest after '@') when the URL carries a password."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    end = rest.find("?")
    at = rest.rfind("@", 0, end if end >= 0 else len(rest))
    if at < 0:
        return None
    user, colon, password = rest[:at].partition(":")
    if not colon:
        return None
    return scheme + sep, user, password, rest[at + 1 :]


def url_password(url: str) -> str:
    """The password inside ``url`` ("" when it has none), from the user part or the query."""
    parts = _split(url)
    if parts is not None and parts[2]:
        return unquote(parts[2])
    found = _QUERY_SECRET.search(url)
    return unquote(found.group(2)) if found else ""


def mask_url(url: str) -> str:
    """``url`` with any password shown as ``***``."""
    parts = _split(url)
    if parts is not None:
        scheme, user, _password, rest = parts
        url = f"{scheme}{user}:{MASK}@{rest}"
    return _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, url)


def scrub(text: str, url: str | None) -> str:
    """``text`` (say, a driver's error) with ``url`` masked and its password nowhere in it."""
    if not url:
        return text
    text = text.replace(url, mask_url(url))
    password = url_password(url)
    raw = _split(url)
    for secret in {password, raw[2] if raw else ""}:
        if secret:
            text = text.replace(secret, MASK)
    return text
