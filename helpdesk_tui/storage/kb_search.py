"""Knowledge-base search: the one function every caller goes through (:func:`search_articles`).

What a person types is never passed to the engine as syntax: it is cut into words, common
words dropped. Each word becomes a group of alternatives — itself, its synonyms
(:data:`SYNONYMS`) and, when it is no word of any title, tag or category, the closest such
word (a typo: rapidfuzz against that vocabulary) — and the results come in tiers, best first:

0. every group matches a whole word;
1. … the last one the start of a word (what is being typed, "pass" → "password");
2. some groups match, the last as a start (a question in plain words; a ticket's text).

Within a tier the engine ranks: SQLite FTS5 ``bm25`` with column weights (title 10, tags 5,
body 1), PostgreSQL ``ts_rank`` over a stored tsvector weighted A (title), B (tags), C (body)
plus ``ts_rank`` over title and tags alone (with weights only, a short article that has a
word in its body outranked one that has it in its title: "outlok crash" over 10,000 articles).
Both stem English words ("printers" finds "printer"); migrations 0010 and 0018 make the
indexes.

Ranking costs time per matching article, so a tier that matches more than
:data:`CANDIDATES` articles (a common word, the first letters of one: "ins" is stemmed to
"in", in every body) is ranked among the articles it matches by title or tags only — with
that many matches, an article that has the words only in its body would not rank in the
first few anyway. Counting up to that bound is cheap (an index walk that stops there).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from helpdesk_tui.storage.database import connection_of, dialect_name

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader

TITLE_WEIGHT = 10.0
TAGS_WEIGHT = 5.0
BODY_WEIGHT = 1.0
PG_ALL = "search_all"
"""PostgreSQL's stored tsvector of title (A), tags (B) and body (C) (migration 0018)."""
PG_HEAD = "search_head"
"""… and of title (A) and tags (B) only."""
CANDIDATES = 500
"""A tier matching more articles than this is ranked on titles and tags only."""
MAX_TERMS = 12
"""Words of one search kept (a ticket's text can be long); the first ones, subject first."""
SHORT_PREFIX = 4
"""A last word shorter than this matches the start of title and tag words only."""
TYPO_CUTOFF = 80.0
"""rapidfuzz ratio (0 to 100) from which a vocabulary word stands in for an unknown word."""

_WORD = re.compile(r"\w+")
_STOPWORDS_TEXT = """
    a about after again all also am an and any are as at be because been before being
    but by can cannot could did do does doing don done for from get gets getting got had
    has have having he her here hi hello how i if in into is it its just me my myself no
    nor not now of off on once only or our out over please same she should so some still
    such t than thank thanks that the their them then there these they this those to too
    under until up us very was we were what when where which while who why will with
    would you your yours im ive cant wont doesnt isnt dont didnt"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_SYNONYM_GROUPS = (
    ("password", "passphrase", "passcode"),
    ("email", "mail", "mailbox"),
    ("laptop", "notebook"),
    ("computer", "pc", "workstation"),
    ("wifi", "wireless", "wlan"),
    ("login", "logon", "signin"),
    ("mfa", "2fa", "authenticator"),
    ("monitor", "display", "screen"),
    ("slow", "sluggish", "laggy"),
    ("crash", "freeze", "hang", "unresponsive"),
    ("delete", "remove", "erase"),
    ("install", "setup"),
    ("broken", "faulty", "damaged", "cracked"),
    ("phone", "mobile", "smartphone", "cellphone"),
    ("internet", "network", "connectivity"),
    ("locked", "lockout"),
    ("invoice", "bill", "billing"),
    ("refund", "reimbursement"),
    ("headset", "headphones", "earphones"),
    ("spam", "junk"),
    ("update", "upgrade", "patch"),
    ("printer", "printing"),
)
_ONE_WAY = {"forgot": ("reset",), "forgotten": ("reset",), "expired": ("reset",)}


def _synonyms() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for group in _SYNONYM_GROUPS:
        for word in group:
            table[word] = tuple(w for w in group if w != word)
    for word, extra in _ONE_WAY.items():
        table[word] = table.get(word, ()) + extra
    return table


SYNONYMS: dict[str, tuple[str, ...]] = _synonyms()
"""A word → the words that mean the same to a help desk (searched as alternatives)."""


@dataclass(frozen=True)
class KbFilters:
    """Narrowing a search (or a listing); None is "any"."""

    category: str | None = None
    tag: str | None = None
    status: str | None = None
    visibility: str | None = None


@dataclass(frozen=True)
class KbHit:
    article_id: int
    tier: int
    """0 every word whole, 1 every word's start, 2 some words (see the module docstring)."""
    score: float
    """The engine's relevance within the tier; higher is better."""


@dataclass(frozen=True)
class KbSearch:
    hits: tuple[KbHit, ...]
    groups: tuple[tuple[str, ...], ...]
    """Each searched word with its alternatives (synonyms, typo fixes): for highlighting."""


def words(query: str) -> list[str]:
    """The significant words of a search, lower-cased, in order, each once."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if word not in STOPWORDS and len(word) > 1 and word not in seen:
            seen[word] = None
    return list(seen)[:MAX_TERMS]


# -- vocabulary for typos: the words of every title, tag and category ---------------------


@dataclass(frozen=True)
class Vocabulary:
    """The words of every title, tag and category (common words left out), and the typo
    fixes found in them so far (an agent types the same word letter by letter)."""

    stamp: tuple[Any, ...]
    known: frozenset[str]
    listing: tuple[str, ...]
    fixes: dict[str, str | None]

    def fix(self, term: str) -> str | None:
        """The vocabulary word closest to ``term`` (a typo's fix), or None."""
        if term in self.fixes:
            return self.fixes[term]
        from rapidfuzz import fuzz, process  # (only a search with an unknown word)

        best = process.extractOne(term, self.listing, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        fixed = str(best[0]) if best is not None else None
        with _vocab_lock:
            if len(self.fixes) < MAX_FIXES:
                self.fixes[term] = fixed
        return fixed


MAX_FIXES = 10_000
"""Typo fixes kept per vocabulary (memory stays bounded whatever is typed)."""
_vocab_lock = threading.Lock()
_vocab_cache: dict[str, Vocabulary] = {}


def vocabulary(session: Reader) -> Vocabulary:
    """The title/tag/category words, cached per database; when an article is added or
    changed, only the new and changed ones are read (a word an edit took away stays: it
    can only offer a typo fix that matches less)."""
    key = str(connection_of(session).engine.url)
    # Two index probes: a new article raises the first, a change the second.
    stamp = tuple(
        session.execute(
            text(
                "SELECT (SELECT max(id) FROM kb_article), (SELECT max(updated_at) FROM kb_article)"
            )
        ).one()
    )
    with _vocab_lock:
        cached = _vocab_cache.get(key)
        if cached is not None and cached.stamp == stamp:
            return cached
    sql = "SELECT title, tags, category FROM kb_article"
    params: dict[str, Any] = {}
    if cached is not None and None not in cached.stamp:
        sql += " WHERE id > :id OR updated_at > :at"
        params = {"id": cached.stamp[0], "at": cached.stamp[1]}
    rows = session.execute(text(sql), params).all()
    # One pass of the pattern over all the text, not one a row.
    every = " ".join(" ".join(row) for row in rows).lower()
    found = {w for w in set(_WORD.findall(every)) if len(w) > 2 and w not in STOPWORDS}
    if params and cached is not None:
        found |= cached.known
    entry = Vocabulary(stamp, frozenset(found), tuple(sorted(found)), {})
    with _vocab_lock:
        _vocab_cache[key] = entry
    return entry


def _groups(session: Reader, terms: list[str]) -> list[tuple[str, ...]]:
    if not terms:
        return []
    vocab = vocabulary(session)
    groups = []
    for term in terms:
        group = [term, *SYNONYMS.get(term, ())]
        if (
            len(term) >= 4
            and term not in vocab.known
            and not any(w.startswith(term) for w in vocab.listing)
        ):
            fixed = vocab.fix(term)
            if fixed is not None:
                group += [fixed, *SYNONYMS.get(fixed, ())]
        groups.append(tuple(dict.fromkeys(group)))
    return groups


# -- the engines ------------------------------------------------------------------------------


def _short(group: tuple[str, ...]) -> bool:
    """A start of a word this short is looked for in titles and tags only: in the bodies it
    is the start of nearly every article's words, and ranking them all costs a lot."""
    return len(group[0]) < SHORT_PREFIX


def _fts5(groups: list[tuple[str, ...]], *, prefix: bool, every: bool, head: bool) -> str:
    parts = [" OR ".join(f'"{w}"' for w in group) for group in groups]
    if prefix:
        typed = " OR ".join(f'"{w}"*' for w in groups[-1])
        short = _short(groups[-1]) and not head  # head: the whole query is on title and tags
        parts[-1] = f"{{title tags}} : ({typed})" if short else typed
    query = (" AND " if every else " OR ").join(f"({part})" for part in parts)
    return f"{{title tags}} : ({query})" if head else query


def _tsquery(groups: list[tuple[str, ...]], *, prefix: bool, every: bool) -> str:
    parts = [" | ".join(group) for group in groups]
    if prefix:
        star = ":*AB" if _short(groups[-1]) else ":*"
        parts[-1] = " | ".join(f"{w}{star}" for w in groups[-1])
    return (" & " if every else " | ").join(f"({part})" for part in parts)


def _where(filters: KbFilters, params: dict[str, Any], alias: str) -> str:
    clauses = []
    for name in ("category", "status", "visibility"):
        value = getattr(filters, name)
        if value is not None:
            clauses.append(f"{alias}.{name} = :f_{name}")
            params[f"f_{name}"] = value
    if filters.tag is not None:
        clauses.append(f"(' ' || {alias}.tags || ' ') LIKE :f_tag")
        params["f_tag"] = f"% {filters.tag.lower()} %"
    return "".join(f" AND {c}" for c in clauses)


@dataclass(frozen=True)
class _Tier:
    """One tier's SQL pieces: where its articles come from, their id, how they rank."""

    source: str
    article_id: str
    rank: str


def _tier_sql(
    sqlite: bool,
    groups: list[tuple[str, ...]],
    filters: KbFilters,
    params: dict[str, Any],
    *,
    prefix: bool,
    every: bool,
    head: bool,
) -> _Tier:
    if sqlite:
        params["q"] = _fts5(groups, prefix=prefix, every=every, head=head)
        params |= {"wt": TITLE_WEIGHT, "wg": TAGS_WEIGHT, "wb": BODY_WEIGHT}
        where = _where(filters, params, "a")
        if not where:  # the FTS table alone answers: its rowid is the article's id
            return _Tier("kb_fts WHERE kb_fts MATCH :q", "kb_fts.rowid", _BM25)
        return _Tier(
            f"kb_fts JOIN kb_article AS a ON a.id = kb_fts.rowid WHERE kb_fts MATCH :q{where}",
            "a.id",
            _BM25,
        )
    params["q"] = _tsquery(groups, prefix=prefix, every=every)
    vector = PG_HEAD if head else PG_ALL
    condition = f"a.{vector} @@ query"
    if prefix and _short(groups[-1]) and not head:
        # The short start of a word is looked for in the titles' and tags' own index: the
        # whole vector's cannot tell a title's word from a body's without reading the row.
        params["last"] = _tsquery(groups[-1:], prefix=True, every=True)
        last = f"a.{PG_HEAD} @@ to_tsquery('english'::regconfig, :last)"
        if len(groups) == 1:
            condition = last
        else:
            params["rest"] = _tsquery(groups[:-1], prefix=False, every=every)
            rest = f"a.{PG_ALL} @@ to_tsquery('english'::regconfig, :rest)"
            condition = f"({rest} {'AND' if every else 'OR'} {last})"
    return _Tier(
        "kb_article AS a, to_tsquery('english'::regconfig, :q) AS query "
        f"WHERE {condition}{_where(filters, params, 'a')}",
        "a.id",
        f"ts_rank(a.{PG_HEAD}, query, 1)"
        if head
        else f"ts_rank(a.{PG_ALL}, query, 1) + ts_rank(a.{PG_HEAD}, query, 1)",
    )


_BM25 = "-bm25(kb_fts, :wt, :wg, :wb)"


def _run_tier(
    session: Reader,
    groups: list[tuple[str, ...]],
    filters: KbFilters,
    *,
    prefix: bool,
    every: bool,
    limit: int,
    candidates: int,
) -> list[tuple[int, float]]:
    sqlite = dialect_name(session) == "sqlite"
    params: dict[str, Any] = {"n": limit, "cap": candidates + 1}
    tier = _tier_sql(sqlite, groups, filters, params, prefix=prefix, every=every, head=False)
    counted = session.execute(
        text(f"SELECT count(*) FROM (SELECT 1 FROM {tier.source} LIMIT :cap) AS m"), params
    ).scalar_one()
    if counted > candidates:
        tier = _tier_sql(sqlite, groups, filters, params, prefix=prefix, every=every, head=True)
    sql = (
        f"SELECT {tier.article_id} AS id, {tier.rank} AS score FROM {tier.source} "
        "ORDER BY score DESC, id LIMIT :n"
    )
    return [(int(i), float(s)) for i, s in session.execute(text(sql), params)]


def search_articles(
    session: Reader,
    query: str,
    filters: KbFilters | None = None,
    *,
    limit: int = 20,
    candidates: int = CANDIDATES,
) -> KbSearch:
    """Articles for ``query`` (best first, at most ``limit``), ``filters`` applied.

    ``candidates``: see :data:`CANDIDATES` (a test lowers it to rank a small KB that way).
    """
    filters = filters or KbFilters()
    groups = _groups(session, words(query))
    if not groups:
        return KbSearch((), ())
    hits: dict[int, KbHit] = {}
    tiers = [(0, False, True), (1, True, True)]
    if len(groups) > 1:
        tiers.append((2, True, False))
    for tier, prefix, every in tiers:
        for article_id, score in _run_tier(
            session,
            groups,
            filters,
            prefix=prefix,
            every=every,
            limit=limit,
            candidates=candidates,
        ):
            hits.setdefault(article_id, KbHit(article_id, tier, score))
        if len(hits) >= limit:
            break
    return KbSearch(tuple(list(hits.values())[:limit]), tuple(groups))
