"""Knowledge-base rules that need no database: names, tags, highlights, match quality, diffs.

The service (``desk/kb_service.py``) calls these; the CLI and the screens only see their
results through the service's views.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from helpdesk_tui.desk.errors import DeskError, InvalidValue
from helpdesk_tui.storage.enums import ArticleStatus, Visibility
from helpdesk_tui.storage.kb_search import words

__all__ = ["ArticleStatus", "Visibility"]

MAX_TITLE = 300
MAX_BODY = 1_000_000
MAX_CATEGORY = 100
SNIPPET = 160
"""Characters of body shown under a search result."""
GOOD_MATCH_SHARE = 0.5
"""Share of a subject's words an article's title or tags must hold to "match well"."""

Span = tuple[int, int]
_SUFFIXES = ("ing", "ed", "es", "s")
_SLUG_BAD = re.compile(r"[^a-z0-9]+")
_TAG_BAD = re.compile(r"[^\w-]+")


class ArticleConflict(DeskError):
    """An edit made against an older version of the article than the current one."""

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


def slugify(title: str) -> str:
    """A file- and URL-safe name from a title: ``"Reset your VPN!"`` → ``reset-your-vpn``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return _SLUG_BAD.sub("-", ascii_title.lower()).strip("-")[:80] or "article"


def check_slug(slug: str) -> str:
    if not slug or slugify(slug) != slug:
        raise InvalidValue(f"{slug!r} is not a usable article name (lower-case a-z, 0-9 and -)")
    return slug


def normalize_tags(tags: Iterable[str]) -> str:
    """Tags as stored: lower-case words (``-`` kept), each once, in the order given."""
    seen: dict[str, None] = {}
    for tag in tags:
        for part in tag.replace(",", " ").split():
            cleaned = _TAG_BAD.sub("", part.lower()).strip("-")
            if cleaned:
                seen[cleaned[:40]] = None
    return " ".join(seen)


def split_tags(tags: str) -> tuple[str, ...]:
    return tuple(tags.split())


def normalize_body(body: str) -> str:
    """Bodies are stored without surrounding blank lines and with one final newline, so an
    export and an import of it change nothing."""
    body = body.replace("\r\n", "\n").strip("\n")
    if len(body) > MAX_BODY:
        raise InvalidValue(f"an article is at most {MAX_BODY} characters")
    return body.rstrip() + "\n" if body.strip() else ""


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidValue("an article needs a title")
    if len(title) > MAX_TITLE:
        raise InvalidValue(f"a title is at most {MAX_TITLE} characters")
    return title


def check_category(category: str) -> str:
    category = " ".join(category.split())
    if len(category) > MAX_CATEGORY:
        raise InvalidValue(f"a category is at most {MAX_CATEGORY} characters")
    return category


def check_choice(value: str, allowed: type[ArticleStatus] | type[Visibility], what: str) -> str:
    try:
        return allowed(value).value
    except ValueError:
        choices = ", ".join(v.value for v in allowed)
        raise InvalidValue(f"{what} must be one of {choices}, not {value!r}") from None


# -- highlights and match quality -------------------------------------------------------------


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=256)
def _pattern(stems: frozenset[str]) -> re.Pattern[str]:
    """Words starting with any of ``stems`` (longest first, so the longest stem wins)."""
    choices = "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True))
    return re.compile(rf"\b(?:{choices})\w*", re.IGNORECASE)


def _matcher(groups: Sequence[Sequence[str]]) -> re.Pattern[str] | None:
    return _group_matcher(tuple(tuple(group) for group in groups))


@lru_cache(maxsize=256)
def _group_matcher(groups: tuple[tuple[str, ...], ...]) -> re.Pattern[str] | None:
    """One search highlights its words in every result's title and snippet: made once."""
    stems = frozenset(_stem(word) for group in groups for word in group)
    return _pattern(stems) if stems else None


def spans(text: str, groups: Sequence[Sequence[str]]) -> tuple[Span, ...]:
    """Where ``text`` holds a searched word (or the start of one): whole words, in order."""
    pattern = _matcher(groups)
    if pattern is None:
        return ()
    return tuple(match.span() for match in pattern.finditer(text))


def snippet(body: str, groups: Sequence[Sequence[str]], width: int = SNIPPET) -> str:
    """One line of the body around its first searched word (its start if none).

    Only the part of the body around that word is flattened into the line, so a long
    article costs a search no more than a short one.
    """
    pattern = _matcher(groups)
    first = pattern.search(body) if pattern is not None else None
    low = max(0, first.start() - width) if first else 0
    high = low + 3 * width
    part = body[low:high]
    flat = " ".join(line.strip(" #*>-`") for line in part.splitlines() if line.strip())
    first = pattern.search(flat) if pattern is not None else None
    start = max(0, first.start() - width // 4) if first else 0
    if start or low:
        start = flat.find(" ", start) + 1 or start
    cut = flat[start : start + width]
    more = start + width < len(flat) or high < len(body)
    return ("…" if start or low else "") + cut + ("…" if more else "")


def groups_hit(text: str, groups: Sequence[Sequence[str]]) -> int:
    """How many searched words (with their alternatives) ``text`` holds."""
    return sum(1 for group in groups if spans(text, [group]))


def matches_well(subject: str, title: str, tags: str) -> bool:
    """Whether an article answers a subject well enough to show a customer.

    Half of the subject's words (at least two, or its one word) must be in the article's
    title or tags; what only the body mentions is not a good enough match.
    """
    terms = [(word,) for word in words(subject)]
    if not terms:
        return False
    hit = groups_hit(f"{title} {tags}", terms)
    return hit >= min(2, len(terms)) and hit / len(terms) >= GOOD_MATCH_SHARE


# -- versions ---------------------------------------------------------------------------------


def version_text(title: str, category: str, tags: str, visibility: str, body: str) -> list[str]:
    """An article version as lines a diff compares: a short header, then the body."""
    header = [
        f"title: {title}",
        f"category: {category}",
        f"tags: {tags}",
        f"visibility: {visibility}",
        "",
    ]
    return [line + "\n" for line in header] + body.splitlines(keepends=True)


def unified_diff(old: list[str], new: list[str], old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(old, new, fromfile=old_name, tofile=new_name)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def public_link(base_url: str, slug: str) -> str:
    """Where an article is on the published help site (``kb export --html``)."""
    return f"{base_url.rstrip('/')}/article/{slug}.html"
