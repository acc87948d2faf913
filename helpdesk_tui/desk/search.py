"""Full-text search: tickets by number, subject, message text, requester, organization.

What a person types is never passed to the search engine as syntax: it is cut into words.
Results come in tiers, best first, each tier newest first, a ticket only once (where it
first appears):

0. the ticket with that number (``#1042`` or ``1042``);
1. every word, whole, in the subject; 2. … in one message of the ticket;
3. every word as the start of a word in the subject; 4. … in one message;
5. the requester: every word in the contact's name or email address, or in the name or
   email domain of their organization.

Each tier is *streamed* from its index in its own order and stopped as soon as enough
tickets are found — SQLite's FTS5 hands out matches by rowid, newest first, without
collecting them all. PostgreSQL's GIN indexes (``to_tsvector``, migration 0003, whose
expressions are repeated here exactly so that PostgreSQL uses them) give no order: a tier
either walks ids newest first, checking each row (cheap for a common word), or gathers
the word's matches through the index a window of ids at a time, newest first, the index
combined with the primary key's range (cheap for a rare one, and for a word commoner
than estimated), as the planner's estimate of the matches says (``pg_walks``). So the
first page of a search costs about the same whether a word is in ten tickets or in half
the desk, and nothing is counted. The requester tier looks words up in the contacts'
trigram index (migration 0021), when the tiers above it leave the page short.

A search inside a view gives every tier the view's filter (``within``, a condition on
``ticket``): each match is checked against it as the tier's index hands it out (by the
ticket's primary key), so one statement per tier reads a page of matches in the view, in
the tier's order, instead of reading matches and checking them in further statements.
In a small view (``SmallView``: its tickets' ids, read through the view's own index
ranges, and how many; the lister decides, ``queue.small_view``) a tier reads no more than
the view allows: on SQLite each match the FTS index hands out is looked for in the view's
set of ids (read once per statement), not looked up by its primary key, so a view holding
few of a common word's matches costs the word's stream of rowids and the view's ids, and
both tiers of a table read one stream (``_SmallFts``); on
PostgreSQL the tier's estimate of its matches is at most the view's size, so it walks
the primary key only when the view can fill a page soon, and gathers otherwise — the
messages' matches joined to the view's ids as one set, not each looked up by its ticket. A view of
few tickets (``PG_FEW_TICKETS``) is searched on PostgreSQL with its ids in each tier
(``_pg_few_matches``): the planner combines the GIN index, asked for one word, with the
view's own index, and reads the heap pages of the matches in the view only — at most the
view's rows, however common the word and however cold the cache. There every tier, the
number's too, is one statement (``_pg_few_statement``) that hands out each ticket once,
at its best tier, and reads a tier only when the ones above it left the page short. The
pages a bitmap reads are asked for ahead (``storage.database.PG_IO_CONCURRENCY``).

On SQLite the prefix tiers leave out what the exact ones matched (FTS5's ``NOT``): those
tickets were found already, and FTS5 merges the two lists of rowids far quicker than each
row can be handed out and checked against the view. In a small view, where a word often
has no match at all, that merge would read the word's matches a second time: there the
prefix query's matches are read once, and the exact ones picked out of them.

On SQLite a view of open tickets only (``OpenView``: every built-in view but "All tickets"
and "Recently resolved", with or without filters) is searched in the open tickets' own
index (migration 0026): their subjects and messages again, each row with its ticket's
filters as tokens. A tier asks for the words in the text *and* the view's tokens, so FTS5
hands out only matches in (or about) the view, each still checked against it: a common
word a tag's view lacks costs that view's share of the index, not the word's every match
in the desk. A message too long to be copied there (migration 0026's ``LONG_BODY``) is
looked up in ``message_fts`` by its rowid (few, as a rule none; their matches sorted).
Such a view is counted (as a ``SmallView``) only when the requester tier checks the
tickets of contacts it found: the text tiers need no count, and usually fill the page.
Their prefix tiers ask for each word's longer forms, listed from the open tables'
vocabularies (migration 0027), instead of the prefix: FTS5 merges a prefix's every word,
the word's own list with them, which the tier then reads again to leave those matches
out; a word without longer forms has no prefix tier to read (``_open_starts``).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    Text,
    all_,
    and_,
    any_,
    bindparam,
    column,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    true,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.util import LRUCache

from helpdesk_tui.desk.values import number_in
from helpdesk_tui.storage import core_tables
from helpdesk_tui.storage.core_tables import Contact, Message, Organization, Ticket
from helpdesk_tui.storage.database import connection_of, dialect_name
from helpdesk_tui.storage.types import IdArray, IdList

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader

_WORD = re.compile(r"\w+")
_PG_PREFIX = re.compile(r"(\w+):\*")
_PG_CONFIG: Any = literal_column("'simple'::regconfig")
_PG_BODY_PREFIX: Any = literal_column("100000")  # = migration 0003's PG_BODY_PREFIX
FIRST_BATCH = 64
"""Matches read from an index at first; each further read of the same tier doubles."""
MAX_CONTACTS = 500
"""Requesters considered for the requester tier (the best-named first)."""


def words(query: str) -> list[str]:
    """The words of a search, lower-cased, with anything that could be syntax dropped."""
    return _WORD.findall(query.lower())


STATEMENTS = 512
"""Tier statements kept built (``_statement``): a handful of shapes a view, each shape's
statements one per view of the session's recent ones."""
_STATEMENTS: LRUCache[Any, Any] = LRUCache(STATEMENTS)


def _statement(key: tuple[Any, ...] | None, build: Callable[[], Any]) -> Any:
    """The statement ``build`` makes, made once per ``key`` (its shape, and the view's
    condition with its values: ``_view_key``) and kept; None: made again each time.

    Its words, keyset bounds and limit are bound parameters, given at each execution, so
    a later page of a search, or another search in the same view, binds values only: the
    statement object is the one SQLAlchemy keyed before (its cache key is kept on it), and
    its compiled form is taken from the engine's cache. Building, keying and looking up a
    tier's statements anew for each batch of each page was ≈ 40 % of a search's CPU."""
    if key is None:
        return build()
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = build()
    return found


def _frozen(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(item) for item in value)
    return value


def _view_key(condition: Any | None) -> tuple[Any, ...] | None:
    """``condition`` (a view's, or a statement of its ids; None: none) as part of a key of
    ``_statement``: its structure and its values. None when it cannot be keyed."""
    if condition is None:
        return ()
    found = condition._generate_cache_key()
    if found is None:
        return None
    try:
        values = tuple(_frozen(bound.effective_value) for bound in found.bindparams)
        hash(values)
    except TypeError:
        return None
    return (found.key, values)


def _keyed(*parts: Any) -> tuple[Any, ...] | None:
    """A key of ``_statement`` from ``parts``, None if any is (a view that cannot be keyed)."""
    return None if any(part is None for part in parts) else parts


def _fts5(terms: list[str], *, prefix: bool) -> str:
    return " ".join(f'"{term}"*' if prefix else f'"{term}"' for term in terms)


def _tsquery(terms: list[str], *, prefix: bool) -> str:
    return " & ".join(f"{term}:*" if prefix else term for term in terms)


Read = Callable[[int, int | None], list[Any]]
"""A tier: ``read(count, below)`` gives up to ``count`` (ticket id, key) pairs in the tier's
order, from after ``below`` (the last key read: a ticket or a message id)."""


class SmallView(NamedTuple):
    """A view small enough to be read before the search: its tickets' ids, and how many."""

    ids: Any
    """A statement giving the ids of the view's tickets."""
    size: int
    listed: IdList | None = None
    """On PostgreSQL, the ids of a view of few tickets (``PG_FEW_TICKETS``), read with its
    count (fetched at once, not row by row: 800 ids cost ≈ 1 ms so; sent as one parameter
    written out once); None for a bigger view."""


def in_view(ticket_id: Any, within: Any | None) -> Any:
    """``within`` (a condition on ``ticket``, None for every ticket) for the ticket whose id
    is ``ticket_id``: checked on each match as the tier's index hands it out, so a tier
    reads matches in the view only, in its own order, and stops after a page."""
    if within is None:
        return true()
    if ticket_id is Ticket.id:
        return within
    # A scalar subquery, not EXISTS: PostgreSQL turns EXISTS into a join, which it may
    # start from the view's tickets (all open ones, read through the primary key); this
    # stays one look-up by the primary key per match, on both engines.
    return select(Ticket.id).where(Ticket.id == ticket_id, within).scalar_subquery().is_not(None)


class OpenView(NamedTuple):
    """A view of open tickets only, searched on SQLite in the open tickets' index (migration
    0026): ``facets``, an FTS5 query over the ``facets`` column that every ticket of the view
    matches ("": none, all open tickets); each match is still checked against the view."""

    facets: str
    small: Callable[[], SmallView | None]
    """The same view as a ``SmallView`` (None: not small), read only when the requester
    tier needs its ids: counting the view costs what it holds (0.3 ms for one agent's
    4,000 open tickets at 1M, 1 ms for all 76,000 open ones, which are never small), and
    the text tiers, through the view's facets, usually fill the page without it."""


def open_facets(
    *,
    assignee: int | None = None,
    tag: int | None = None,
    team: int | None = None,
    category: str | None = None,
    types: tuple[str, ...] = (),
    priorities: tuple[str, ...] = (),
) -> str:
    """The FTS5 query over the facets migration 0026 writes (its ``FACETS``) for the tickets
    with all these: an agent's id (0: unassigned), a tag's, a team's, a category, any of
    the types, any of the priorities."""
    terms = [f"za{assignee}"] if assignee is not None else []
    terms += [f"zt{max(tag, 0)}"] if tag is not None else []  # (no tag has id 0)
    terms += [f"zm{team}"] if team is not None else []
    terms += [f"zc{category.encode().hex()}"] if category is not None else []
    for prefix, values in (("zy", types), ("zp", priorities)):
        if values:
            terms.append(
                "(" + " OR ".join(f"{prefix}{value.encode().hex()}" for value in values) + ")"
            )
    return " AND ".join(terms)


_TICKET_FTS = frozenset({"ticket_fts", "open_ticket_fts"})
_OPEN_FTS = {
    "ticket_fts": ("open_ticket_fts", "subject"),
    "message_fts": ("open_message_fts", "body"),
}
"""The open tickets' table of each FTS5 table (migration 0026), and its text column."""


def _open_match(name: str, match: str, view: OpenView) -> tuple[str, str]:
    """The open tickets' FTS5 table for ``name`` and the query of ``match`` in its text
    column (the facets' tokens are no words of the text) and the view's facets."""
    fts, text = _OPEN_FTS[name]
    query = f"{{{text}}} : ({match})"
    if view.facets:
        query += f" AND {{facets}} : ({view.facets})"
    return fts, query


class _LongMessages:
    """The ids of a view's open messages whose bodies the open tickets' index does not hold
    (longer than migration 0026's ``LONG_BODY``: their rows there hold only facets and
    ``zlong``), read once per search, when a message tier first needs them: as a rule none."""

    def __init__(self, session: Reader, view: OpenView) -> None:
        self._session = session
        self._facets = "zlong" + (f" AND ({view.facets})" if view.facets else "")
        self._ids: list[int] | None = None

    def ids(self) -> list[int]:
        if self._ids is None:
            statement = _statement(("long messages",), _long_messages)
            facets = {"facets": f"{{facets}} : ({self._facets})"}
            found = self._session.execute(statement, facets).scalars()
            self._ids = [int(i) for i in found]
        return self._ids


def _long_messages() -> Any:
    fts = table("open_message_fts", column("rowid"))
    match = literal_column(fts.name).op("MATCH")(bindparam("facets", type_=String))
    return select(fts.c.rowid).where(match)


def _open_messages(
    session: Reader, short: Read, match: str, longs: _LongMessages, within: Any | None
) -> Read:
    """A message tier in a view of open tickets: the matches in the open tickets' index
    (``short``), and those of ``match`` among the view's long messages (each looked up in
    ``message_fts`` by its rowid), merged newest first."""
    fts = table("message_fts", column("rowid"))

    def checked() -> Any:
        ids: Any = select(column("value")).select_from(
            func.json_each(bindparam("longs", type_=String))
        )
        return and_(
            fts.c.rowid.in_(ids),
            exists().where(Message.id == fts.c.rowid, in_view(Message.ticket_id, within)),
        )

    key = _keyed("long messages", _view_key(within))

    def read(count: int, below: int | None) -> list[Any]:
        found = short(count, below)
        if longs.ids():
            listed = {"longs": json.dumps(longs.ids())}
            found += _fts_matches(session, fts, match, (key, checked), count, below, values=listed)
            found = sorted(found, key=_newer)[:count]
        return found

    return read


_VOCABULARY = {"ticket_fts": "open_ticket_vocab", "message_fts": "open_message_vocab"}
"""The vocabulary of each open tickets' table (migration 0027), by its desk-wide table."""
MAX_FORMS = 16
"""A word with more longer forms than this in the open tickets' index is asked for as a
prefix (FTS5 merges them all), not as a list of them."""
_PLAIN = re.compile(r"[a-z0-9]+")
"""A word the index's tokenizer keeps as it is (no case, no diacritics to fold)."""


def _longer_forms(session: Reader, name: str, term: str) -> list[str] | None:
    """The words of the open tickets' table of ``name`` that start with ``term`` and are
    longer, read from its vocabulary (migration 0027). None: ``term`` is asked for as a
    prefix — of 3 letters or fewer (the prefix index holds those), with other characters
    than a-z and digits (the tokenizer might fold it otherwise), or with more than
    ``MAX_FORMS`` longer forms."""
    if len(term) <= 3 or not _PLAIN.fullmatch(term):
        return None
    # (A token's characters all sort after "0": the words after ``term`` itself.)
    bounds = {"low": term + "0", "high": term + "\U0010ffff"}
    longer = _statement(("longer forms", name), lambda: _longer_statement(name))
    found = [str(form) for form in session.execute(longer, bounds).scalars()]
    return None if len(found) > MAX_FORMS else found


def _longer_statement(name: str) -> Any:
    vocabulary = table(_VOCABULARY[name], column("term"))
    return (
        select(vocabulary.c.term)
        .where(
            vocabulary.c.term >= bindparam("low", type_=String),
            vocabulary.c.term < bindparam("high", type_=String),
        )
        .limit(MAX_FORMS + 1)
    )


def _open_starts(session: Reader, name: str, terms: list[str]) -> str | None:
    """The words as starts of words for the open tickets' table of ``name``: each one as
    itself or one of its longer forms there, or (``_longer_forms``: None) as a prefix.
    FTS5 then reads the longer forms' lists, where a prefix merged the word's own list
    with them and the tier read it again to leave out the whole word's matches. None
    when no word has a longer form: every start is the whole word, found already."""
    starts: list[str] = []
    longer = False
    for term in terms:
        forms = _longer_forms(session, name, term)
        longer = longer or forms != []
        if forms is None:
            starts.append(f'"{term}"*')
        else:
            starts.append("(" + " OR ".join(f'"{word}"' for word in (term, *forms)) + ")")
    return " AND ".join(starts) if longer else None


def _open_prefix(
    session: Reader, name: str, terms: list[str], exact: str, view: OpenView, within: Any | None
) -> Read:
    """The prefix tier of the open tickets' table of ``name``: the starts
    (``_open_starts``) without the whole words, in the view; its vocabulary read when the
    tier is first read (the whole words' tiers usually fill the page)."""

    @cache
    def tier() -> Read:
        starts = _open_starts(session, name, terms)
        if starts is None:
            return lambda _count, _below: []
        match = f"({starts}) NOT ({exact})"
        return _fts_read(session, *_open_match(name, match, view), within)

    return lambda count, below: tier()(count, below)


def _fts_ticket(fts: Any) -> Any:
    """The ticket of a match of the FTS5 table ``fts``: its rowid, or its message's ticket."""
    if fts.name in _TICKET_FTS:
        return fts.c.rowid
    return select(Message.ticket_id).where(Message.id == fts.c.rowid).scalar_subquery()


Checked = tuple[tuple[Any, ...] | None, Callable[[], Any]]
"""What each match of a tier is checked against: the key of the check (``_statement``;
None: none, the statement is made each time) and how to make it."""


def _fts_matches(
    session: Reader,
    fts: Any,
    match: str,
    checked: Checked,
    count: int,
    below: Any,
    low: Any = None,
    values: dict[str, Any] | None = None,
) -> list[Any]:
    """Up to ``count`` matches of ``match`` that pass ``checked``, newest first, below the
    rowid ``below`` (and from ``low``): ``(ticket id, rowid)``; ``values``: the check's."""
    key, check = checked

    def build() -> Any:
        bounds = [fts.c.rowid < bindparam("below", type_=Integer)]
        if low is not None:
            bounds.append(fts.c.rowid >= bindparam("low", type_=Integer))
        matched = literal_column(fts.name).op("MATCH")(bindparam("q", type_=String))
        return (
            select(_fts_ticket(fts), fts.c.rowid)
            .where(matched, *bounds, check())
            .order_by(fts.c.rowid.desc())
            .limit(bindparam("count", type_=Integer))
        )

    statement = _statement(_keyed("fts", fts.name, low is not None, key), build)
    bound = {"q": match, "below": below if below is not None else 1 << 62, "count": count}
    if low is not None:
        bound["low"] = low
    return list(session.execute(statement, bound | (values or {})).all())


def _fts_read(session: Reader, name: str, match: str, within: Any | None) -> Read:
    """Matches of an FTS5 table by rowid, newest first: ``(rowid, rowid)``, or for the
    messages ``(ticket id, message id)``; each checked against the view ``within`` by its
    ticket's primary key as the index hands it out."""
    fts = table(name, column("rowid"))

    def check() -> Any:
        if name in _TICKET_FTS:
            return in_view(fts.c.rowid, within)
        if within is not None:
            return exists().where(Message.id == fts.c.rowid, in_view(Message.ticket_id, within))
        return true()

    checked: Checked = (_keyed("in view", _view_key(within)), check)

    def read(count: int, below: int | None) -> list[Any]:
        return _fts_matches(session, fts, match, checked, count, below)

    return read


SMALL_FTS_AHEAD = 4
"""A small view's stream of a table reads this many times the matches a tier asks for:
FTS5 merges every word a prefix starts (longer than the prefix index's 2 and 3 letters)
into one list of rowids before it hands out the first (≈ 4 ms for a word in 75k subjects
at 1M tickets), each statement again, so fewer and longer reads are cheaper."""


def _newer(match: Any) -> int:
    """The order of a list of matches newest first, for ``bisect``."""
    return -int(match[1])


class _SmallFts:
    """Both tiers of one FTS5 table in a small view — every word whole, then every word's
    start — read from one stream of matches: the prefix query's (each match of the whole
    words is one of them) in the view, newest first; of each batch, the whole-word matches
    are picked out by the exact query over the batch's range of rowids, each match
    looked for among the batch's.

    A word the view does not hold costs one read of its matches (merged with its longer
    forms), not two (the word's, then its longer forms' without it); each match is looked
    for in the view's set of ids (read once per statement; ``+ 0`` keeps SQLite from
    handing that set to the FTS index as rowids to look up one by one, each one a fresh
    search of the word in every segment of the index: 100-200 µs, 3 ms for a prefix)."""

    def __init__(self, session: Reader, name: str, exact: str, prefix: str, small: SmallView):
        self._session = session
        self._fts = fts = table(name, column("rowid"))
        self._exact, self._prefix = exact, prefix

        def check() -> Any:
            ids: Any = small.ids
            if name == "message_fts":  # the view's messages, through the tickets' message index
                ids = select(Message.id).where(Message.ticket_id.in_(small.ids))
            return (fts.c.rowid + 0).in_(ids)

        self._checked: Checked = (_keyed("small view", _view_key(small.ids)), check)
        self._found: tuple[list[Any], list[Any]] = ([], [])
        """The view's matches read so far, newest first: (whole words, starts only)."""
        self._below: int | None = None
        """The stream is read down to this rowid (not included)."""
        self._done = False

    def _advance(self, count: int) -> None:
        read = _fts_matches(
            self._session, self._fts, self._prefix, self._checked, count, self._below
        )
        self._done = len(read) < count
        if not read:
            return
        # the batch's rowids (one JSON array: any number of them), not the view's set again
        exact = _fts_matches(
            self._session,
            self._fts,
            self._exact,
            (("batch",), self._in_batch),
            len(read),
            self._below,
            low=read[-1][1],
            values={"batch": json.dumps([m[1] for m in read])},
        )
        whole = {key for _ticket, key in exact}
        for match in read:
            self._found[match[1] not in whole].append(match)
        self._below = read[-1][1]

    def _in_batch(self) -> Any:
        batch: Any = select(column("value")).select_from(
            func.json_each(bindparam("batch", type_=String))
        )
        return (self._fts.c.rowid + 0).in_(batch)

    def tier(self, whole: bool) -> Read:
        """The tier of the whole words (``whole``) or of the starts only: its matches from
        the stream, read further while it holds fewer than a read asks for."""
        found = self._found[not whole]

        def read(count: int, below: int | None) -> list[Any]:
            start = 0 if below is None else bisect_left(found, 1 - below, key=_newer)
            size = SMALL_FTS_AHEAD * count
            while len(found) - start < count and not self._done:
                self._advance(size)
                size *= SMALL_FTS_AHEAD
            return found[start : start + count]

        return read


PG_WALK_COST = {"ticket": 10.0, "message": 30.0}
"""Relative cost of one row read along the primary key on PostgreSQL: the GIN index gives
no order, so walking ids newest first computes the row's ``to_tsvector`` (a subject's is
cheap, a message body's about three times dearer)."""
PG_GATHER_COST = 5.0
"""Relative cost of one match gathered through the GIN index (a bitmap scan: the index's
list of the word's matches is read whole, for each window of ids; the matches in the
window are read from the table, then sorted by id)."""


def pg_walks(count: int, rows: float, matches: float, walk_cost: float) -> bool:
    """Whether walking ids newest first finds ``count`` matches cheaper than gathering
    ``matches`` (estimated) of ``rows`` through the GIN index, window by window.

    A common word is met every few rows of the walk; a rare one only after thousands of
    rows, each one's text parsed again, where gathering its few matches is quick.
    """
    walked = count * rows / max(matches, 1.0)
    return walked * walk_cost < matches * PG_GATHER_COST


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON)`` of a statement, compiled once per shape of the statement
    (SQLAlchemy's compiled cache, keyed on the statement's own key) and sent with its values
    bound through the driver. PostgreSQL plans the explained statement with the values of
    the bind as constants, as for values written into its text (a parameter of the
    extended protocol is one-shot), also once psycopg has prepared the EXPLAIN
    (``prepare_threshold``): an EXPLAIN is planned anew at each run. (Compiled with
    ``literal_binds`` each time, the EXPLAIN cost ≈ 0.3 ms of CPU per page of a search.)"""

    inherit_cache = True
    _traverse_internals = [("statement", InternalTraversal.dp_clauseelement)]

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    # (the rows are the plan's, not the statement's: its columns kept out of the result's)
    with compiler._nested_result():
        explained: str = compiler.process(element.statement, **kw)
    return "EXPLAIN (FORMAT JSON) " + explained


def _pg_planned_rows(
    session: Reader, statement: Any, values: dict[str, Any] | None = None
) -> float:
    """The planner's estimate of the rows ``statement`` (or its ``_Explain``, kept made)
    gives with ``values`` bound (no row is read)."""
    explain = statement if isinstance(statement, _Explain) else _Explain(statement)
    plan: Any = connection_of(session).execute(explain, values).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


PG_WINDOW_SPARE = 2.0
"""A gather's first window of ids is this many times as wide as should hold the page."""
PG_MIN_WINDOW = 256
"""The narrowest window of ids a gather reads (its key's units: ticket or message ids)."""
PG_WINDOW_GROWTH = 4
"""Each further window of one read is this many times as wide as the one before."""
PG_WINDOWS = 1
"""Windows one read of several words reads at most; the rest of its range is then gathered
whole, the GIN index asked for every word (a page not found in the window: the words
together are far rarer than the term, ``wi & f``, and parsing every match of the term,
``wi``, would cost more)."""


ESTIMATES = 512
"""Tier estimates kept (``_pg_tier``'s ``planned``): a search's pages ask for the same."""
_ESTIMATES: LRUCache[Any, float] = LRUCache(ESTIMATES)


def _every(model: Any) -> Any:
    return select(literal_column("1")).select_from(model)


class _PgTables:
    """What the two tiers (whole words, then starts) over one table share in a search, read
    once per search when a tier first needs it: the planner's count of the table's rows,
    and its newest key (where a gather's windows start)."""

    def __init__(self, session: Reader) -> None:
        self._session = session
        self._rows: dict[str, float] = {}
        self._newest: dict[str, int] = {}

    def rows(self, model: Any) -> float:
        if model.name not in self._rows:
            every = _statement(("rows", model.name), lambda: _Explain(_every(model)))
            self._rows[model.name] = _pg_planned_rows(self._session, every)
        return self._rows[model.name]

    def newest(self, model: Any, key: Any) -> int:
        if model.name not in self._newest:
            newest = _statement(("newest", model.name), lambda: select(func.max(key)))
            top = self._session.execute(newest).scalar()
            self._newest[model.name] = int(top or 0)
        return self._newest[model.name]


def _pg_tier(
    session: Reader,
    tables: _PgTables,
    model: Any,
    key: Any,
    ticket: Any,
    text: Any,
    query: str,
    within: Any | None,
    small: SmallView | None,
) -> Read:
    """A tier over one GIN-indexed text, in the view: by id newest first, walking or
    gathering (the walk checks the view on each row; the estimate of the matches is of
    those in the view, and at most a small view's size: a word's matches in a view are
    the planner's guess, and a walk on a guess too high reads the whole table).

    A gather reads windows of ids, newest first (``key`` from ``high - width`` up to
    ``high``): the GIN index, asked for one term (``_pg_index_term``: its estimate is
    honest), combined with the primary key's range (a ``BitmapAnd``), so only the matches
    in the window are read from the table, each checked against the whole query (its text
    parsed) and the view. The first window should hold ``PG_WINDOW_SPARE`` pages of
    matches by the term's estimate; a window that holds too few is followed by one
    ``PG_WINDOW_GROWTH`` times as wide below it — for several words ``PG_WINDOWS`` at most,
    then the rest of the range whole, the GIN index asked for every word; for prefixes too
    short for the index (``_pg_index_term``: None) the whole range at once. (Before, a
    gather read every match of the word and sorted them: a heap page each, the whole
    ticket table for "wi-fi" at 100k — 9.5 ms warm, 3,000 pages cold — where the estimate
    of the words together, their product, was ten times too low.)

    A view of at most ``PG_FEW_TICKETS`` is read by ``_pg_few_matches``."""
    name = model.name
    view_ids = small.ids if small is not None and ticket is not Ticket.id else None
    indexed = _pg_index_term(query)
    term = indexed or query
    # Windows of ids one read reads at most: any number for one word (a window costs the
    # GIN index's list of it, and the window's matches); one for several (each of the
    # term's matches in a window is parsed); none for prefixes too short for the index
    # (each window would read every word they start).
    windows: int | None = 0 if indexed is None else None if term == query else PG_WINDOWS
    # The statements, made once per shape and view (``_statement``): the query and the
    # term, the bounds and the limit bound at each execution.
    shape = _keyed(
        "pg tier",
        name,
        term != query,
        _view_key(within),
        _view_key(view_ids),
    )

    @cache
    def conditions() -> dict[str, Any]:
        """The tier's conditions by name: ``condition`` (the query, in the view),
        ``counted`` (the term, in the view), ``gathered`` and ``whole`` (a gather's)."""
        vector = func.to_tsvector(_PG_CONFIG, text)
        tsquery = func.to_tsquery(_PG_CONFIG, bindparam("query", type_=String))
        condition = and_(vector.op("@@")(tsquery), in_view(ticket, within))
        held = true() if view_ids is not None else in_view(ticket, within)
        made = {"condition": condition, "counted": condition}
        made["gathered"] = made["whole"] = and_(vector.op("@@")(tsquery), held)
        if term != query:
            parsed = func.to_tsvector(_PG_CONFIG, text.op("||")(literal(""))).op("@@")(tsquery)
            by_term = vector.op("@@")(func.to_tsquery(_PG_CONFIG, bindparam("term", type_=String)))
            made["counted"] = and_(by_term, in_view(ticket, within))
            made["gathered"] = and_(by_term, held, parsed)
        return made

    def made(kind: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        return _statement(None if shape is None else (*shape, *kind), build)

    def planned(which: str) -> float:
        """The planner's estimate of ``which``'s rows, asked once per database, view,
        words and planner's count of the table (kept in ``_ESTIMATES``): each page of a
        search is a search anew, and its tiers asked the same estimates again on every
        page (PageDown, End). A count that changed (the table grew a page, or was
        analysed) asks again; an estimate only picks between ways that find the same."""
        kept = None
        if shape is not None:
            database = connection_of(session).engine.url
            kept = (database, *shape, which, query, term, tables.rows(model))
            found = _ESTIMATES.get(kept)
            if found is not None:
                return found
        explain = made(
            ("estimate", which),
            lambda: _Explain(_every(model).where(conditions()[which])),
        )
        estimated = _pg_planned_rows(session, explain, {"query": query, "term": term})
        if kept is not None:
            _ESTIMATES[kept] = estimated
        return estimated

    estimate: list[float] = []
    """The query's matches (estimated), once the tier is first read."""
    windowed: list[float] = []
    """The term's matches (estimated), once a read gathers."""

    def bound(count: int, below: int | None, low: int | None) -> dict[str, Any]:
        return {
            "query": query,
            "term": term,
            "count": count,
            **({} if below is None else {"below": below}),
            **({} if low is None else {"low": low}),
        }

    def fetch(
        where: str, count: int, below: int | None, low: int | None = None, walk: bool = True
    ) -> list[Any]:
        def build() -> Any:
            statement = select(ticket, key).where(conditions()[where])
            if below is not None:
                statement = statement.where(key < bindparam("below", type_=Integer))
            if low is not None:
                statement = statement.where(key >= bindparam("low", type_=Integer))
            order = key if walk else unwalked
            return statement.order_by(order.desc()).limit(bindparam("count", type_=Integer))

        statement = made(("fetch", where, below is None, low is None, walk), build)
        return list(session.execute(statement, bound(count, below, low)))

    def gather(where: str, count: int, below: int | None, low: int | None = None) -> list[Any]:
        """The matches of ``where`` in the range, in the view, newest first: in a small
        view the messages' matches are read first (fenced off: ``MATERIALIZED``) and then
        checked against the view's ids as one set, a hash of them read through the view's
        own index ranges. Each match looked up by the ticket's primary key read a
        ticket's heap page (1,200 of the 2,300 pages "monitor" read in all open tickets at
        100k, on a freshly started server, where a rare word's few matches in the view
        are found only at the end of its range); unfenced, PostgreSQL would rather parse
        every message of the view's thousands of tickets (80 ms)."""
        if view_ids is None:
            return fetch(where, count, below, low, walk=low is not None)

        def build() -> Any:
            inner = select(ticket.label("ticket"), key.label("key")).where(conditions()[where])
            if below is not None:
                inner = inner.where(key < bindparam("below", type_=Integer))
            if low is not None:
                inner = inner.where(key >= bindparam("low", type_=Integer))
            matched = inner.cte("matched").prefix_with("MATERIALIZED")
            return (
                select(matched.c.ticket, matched.c.key)
                .where(matched.c.ticket.in_(view_ids))
                .order_by(matched.c.key.desc())
                .limit(bindparam("count", type_=Integer))
            )

        statement = made(("gather", where, below is None, low is None), build)
        return list(session.execute(statement, bound(count, below, low)))

    unwalked = key + literal_column("0")  # (a gather's order: not a walk of the primary key)

    def read(count: int, below: int | None) -> list[Any]:
        if not estimate:  # once per search, when the tier is first read
            estimate.append(planned("condition"))
        rows, matches = tables.rows(model), estimate[0]
        if small is not None:
            matches = min(matches, float(small.size))
        if pg_walks(count, rows, matches, PG_WALK_COST[name]):
            return fetch("condition", count, below)
        if windows == 0:
            return gather("whole", count, below)
        if not windowed:  # once per search, when the tier first gathers
            by_term = matches
            if term != query:  # (the parsed check left out: no estimate of it)
                by_term = planned("counted")
            if small is not None:
                by_term = min(by_term, float(small.size))
            if small is not None and view_ids is not None and term == query:
                # (A message's estimate takes the view's check for one the planner cannot
                # see into, kept by nearly every match: the view's share of the desk's
                # tickets instead, so a word's first window should hold two pages of
                # matches in the view: "monitor" in all open tickets, 76 matches of
                # 1,103, in one window instead of three, each hashing the view's ids.)
                by_term *= min(1.0, small.size / max(tables.rows(core_tables.ticket), 1.0))
            windowed.append(by_term)
        top, by_term = tables.newest(model, key), windowed[0]
        high = top + 1 if below is None else below
        spread = top / max(by_term, 1.0)  # ids per match, by the term's estimate
        width = max(PG_MIN_WINDOW, int(PG_WINDOW_SPARE * count * spread))
        found: list[Any] = []
        read_windows = 0
        while high > 0 and len(found) < count and read_windows != windows:
            low = max(high - width, 0)
            found += gather("gathered", count - len(found), high, low)
            high, width = low, width * PG_WINDOW_GROWTH
            read_windows += 1
        if high > 0 and len(found) < count:
            # The rest of the range whole, through the GIN index asked for every word (the
            # words together far rarer than the term: parsing each of the term's matches
            # would cost more), sorted.
            found += gather("whole", count - len(found), high)
        return found

    return read


PG_FEW_TICKETS = 2_000
"""A view with at most this many tickets is searched on PostgreSQL by ``_pg_few_matches``:
its ids are read with its count (``SmallView.listed``) and each tier holds them (``=
ANY``), so the planner combines the GIN index's matches with the view's own index (a
``BitmapAnd``) and reads the heap pages of the word's matches *in the view* only — at
most the view's rows, a few hundred pages cold, whatever the word. A bigger small view
(all open tickets at 100k) is searched by ``_pg_tier`` (walking ids newest first, or
gathering windows of them): reading its ids first, and its rows, would cost more."""


def _pg_index_term(query: str) -> str | None:
    """The term of ``query`` (``a & b:*``) the GIN index is asked for in a view of few
    tickets and in a gather's windows of ids: its longest (as a rule the rarest; no
    estimate is asked for, each costs a statement compiled and planned).

    The planner's estimate of several words together is the product of theirs, as if they
    were independent; for words that come together (``wi & fi``, from "wi-fi") that is
    ten times too few (1,019 for 10,602 subjects at 100k), and it then reads every match
    through the GIN index alone, each match's heap page (3,000 pages, 0.4 s on a cold
    cache), instead of combining the index with the view's. One term's estimate is honest,
    and at least what the words together match. A prefix shorter than ``TRIGRAM`` letters
    (``wi:*``) is never asked for: the GIN index would read every word it starts. None:
    no term is worth it, the view's own rows are read and parsed."""
    terms = [
        term for term in query.split(" & ") if not (term.endswith(":*") and len(term) - 2 < TRIGRAM)
    ]
    return max(terms, key=lambda term: len(term.removesuffix(":*")), default=None)


class _PgFewTier(NamedTuple):
    """How one text tier of a search in a view of few tickets checks a row (PostgreSQL)."""

    indexed: bool
    """The GIN index is asked for one term (``_pg_index_term``; else the view's rows are
    read and parsed)."""
    parsed: bool
    """The whole query is checked on each row the indexes leave, its text parsed (``||
    ''``: not through the GIN index, whose estimate would be the words' product again)."""
    held: bool
    """Cheap checks come before the parse (``_pg_runs``)."""


class _PgFewShape(NamedTuple):
    """What the statement of a search in a view of few tickets is made of, without its
    values (``_pg_few_statement`` is made once per shape)."""

    number: bool
    tiers: tuple[_PgFewTier, ...]
    """Subjects then messages, whole words then starts (none: no word)."""
    words: int
    short: bool
    """A word is shorter than ``TRIGRAM`` (the requesters: ``_pg_few_requesters``)."""


def _pg_few_values(query: str, number: int | None) -> tuple[_PgFewShape, dict[str, Any]]:
    """The shape of the statement searching ``query`` in a view of few tickets, and its
    values but the view's ids and the limit."""
    terms = words(query)
    values: dict[str, Any] = {"number": number}
    tiers: list[_PgFewTier] = []
    matches = [_tsquery(terms, prefix=False), _tsquery(terms, prefix=True)] if terms else []
    for rank, match in enumerate(found for found in matches for _table in range(2)):
        term = _pg_index_term(match)
        runs = _pg_runs(match) if term != match else []
        tiers.append(_PgFewTier(term is not None, term != match, bool(runs)))
        values |= {f"term{rank}": term, f"query{rank}": match, f"runs{rank}": runs}
    values |= {f"like{i}": f"%{term}%" for i, term in enumerate(terms)}
    short = bool(terms) and min(map(len, terms)) < TRIGRAM
    return _PgFewShape(number is not None, tuple(tiers), len(terms), short), values


PG_FEW_SHAPES = 64
"""Statements of searches in views of few tickets kept made (``_pg_few_statement``): a shape
is its words' count and what each tier asks, so a handful are met in a session."""


@lru_cache(maxsize=PG_FEW_SHAPES)
def _pg_few_statement(shape: _PgFewShape) -> Any:
    """Every tier of a search in a view of few tickets (PostgreSQL) as one statement: the
    first ``limit`` tickets, best first, each once. Made once per shape (its values are
    parameters: the view's ids, the number, each tier's term, query and cheap checks, each
    word's ``LIKE``): building and keying a statement of five CTEs was 1-2 ms of CPU.

    Each tier is a ``MATERIALIZED`` CTE of its tickets in the view, newest first (a
    message tier's tickets by their newest matching message: where each first appeared
    when its messages were read newest first); the tiers are the arms of a ``UNION ALL``,
    each arm leaving out the tickets of the arms before it (``NOT IN``: a hashed set of
    theirs). PostgreSQL's ``Append`` reads its arms in order and starts one only when the
    one before it has ended; the ``LIMIT`` above it stops it, so a tier below a full page
    is never read — the tiers' statements one by one did the same with a round trip each
    (13 statements for "wi-fi" in a tag's view, 4 of them ``SET``/``RESET``). An arm
    reads the CTEs before it only when it starts, once they have ended."""
    view = bindparam("view", type_=IdArray())
    arms: list[Any] = []
    if shape.number:
        arms.append(
            select(Ticket.id.label("ticket"), Ticket.id.label("key")).where(
                Ticket.number == bindparam("number", type_=Integer), Ticket.id == any_(view)
            )
        )
    for rank, tier in enumerate(shape.tiers):
        conditions: list[Any] = []
        text: Any = Ticket.subject if rank % 2 == 0 else func.left(Message.body, _PG_BODY_PREFIX)
        if tier.indexed:
            term = func.to_tsquery(_PG_CONFIG, bindparam(f"term{rank}", type_=Text))
            conditions.append(func.to_tsvector(_PG_CONFIG, text).op("@@")(term))
        if tier.held:
            # (A run is ASCII letters only: nothing in it is a LIKE pattern's syntax.)
            runs = bindparam(f"runs{rank}", type_=ARRAY(Text))
            conditions.append(func.lower(text).like(all_(runs)))
        if tier.parsed:
            parsed = func.to_tsvector(_PG_CONFIG, text.op("||")(literal("")))
            query = func.to_tsquery(_PG_CONFIG, bindparam(f"query{rank}", type_=Text))
            conditions.append(parsed.op("@@")(query))
        if rank % 2 == 0:
            arms.append(
                select(Ticket.id.label("ticket"), Ticket.id.label("key")).where(
                    Ticket.id == any_(view), *conditions
                )
            )
        else:
            arms.append(
                select(Message.ticket_id.label("ticket"), func.max(Message.id).label("key"))
                .where(Message.ticket_id == any_(view), *conditions)
                .group_by(Message.ticket_id)
            )
    if shape.words:
        likes = [bindparam(f"like{i}", type_=Text) for i in range(shape.words)]
        contacts = (
            select(Contact.id)
            .where(_pg_few_requesters(likes, shape.short, view))
            .order_by(Contact.name, Contact.id)
            .limit(MAX_CONTACTS)
        )
        arms.append(
            select(Ticket.id.label("ticket"), Ticket.id.label("key")).where(
                Ticket.id == any_(view), Ticket.requester_id.in_(contacts)
            )
        )
    tiers = [
        arm.order_by(literal_column("key").desc()).cte(f"tier{rank}").prefix_with("MATERIALIZED")
        for rank, arm in enumerate(arms)
    ]
    parts = []
    for rank, tier in enumerate(tiers):
        part = select(tier.c.ticket)
        if rank:
            earlier = union_all(*(select(before.c.ticket) for before in tiers[:rank]))
            part = part.where(tier.c.ticket.not_in(earlier))
        parts.append(part)
    return union_all(*parts).limit(bindparam("limit", type_=Integer))


def _pg_few_matches(
    session: Reader, query: str, number: int | None, view: IdList, need: int
) -> Iterator[int]:
    """The tickets of a search in a view of few tickets (PostgreSQL; ``view``: its ids),
    best first, each once: ``need`` in one statement (``_pg_few_statement``), then twice
    as many again (the first ones left out) as long as they are read. Read through
    bitmaps only (``_pg_by_bitmap``) when a tier has no term for the GIN index."""
    shape, values = _pg_few_values(query, number)
    if not shape.tiers and not shape.number:
        return
    statement = _pg_few_statement(shape)
    bitmap = not all(tier.indexed for tier in shape.tiers)
    limit, skip = max(need, 1), 0
    while True:
        values |= {"view": view, "limit": limit}
        found = (
            _pg_by_bitmap(session, statement, values)
            if bitmap
            else session.execute(statement, values).all()
        )
        for (ticket_id,) in found[skip:]:
            yield int(ticket_id)
        if len(found) < limit:
            return
        skip, limit = limit, 2 * limit


_ASCII_LETTERS = re.compile(r"[a-z]+")
_PG_MAX_WORD = 2047
"""The longest word PostgreSQL's parser keeps (longer ones are left out of a tsvector and
of a tsquery)."""


def _pg_runs(query: str) -> list[str]:
    """Cheap checks every text matching ``query`` (``a & b:*``) passes, to be evaluated
    before its text is parsed, as ``LIKE`` patterns: each run of ASCII letters of its
    terms is in the lower-cased text (``LIKE ALL`` of ``%run%``, ≈ 1 µs for a message,
    where ``to_tsvector`` costs ≈ 10 µs; one condition, so the text is lower-cased once,
    not once per run: 0.4 ms less for tom.sd's 1,340 open messages at 100k and two runs,
    of ≈ 1.2 ms of checks).

    A lexeme is a word of the text lower-cased, and the parser never cuts a run of ASCII
    letters (it does cut at ``_`` or ``²``, which ``words`` keeps), so a text whose
    lower-cased form lacks a run has no lexeme holding it, and cannot match. Parsing every
    message of tom.sd's open tickets at 100k for "wi-fi"'s prefixes (``wi:* & fi:*``, no
    term for the GIN index) took 9-12 ms for 1,187 messages; 28 of them hold both runs, and
    the statement takes 2-2.5 ms."""
    runs = {
        run
        for term in query.split(" & ")
        for run in _ASCII_LETTERS.findall(term.removesuffix(":*"))
        if len(run) <= _PG_MAX_WORD
    }
    return [f"%{run}%" for run in sorted(runs)]


def _pg_by_bitmap(session: Reader, statement: Any, values: dict[str, Any]) -> list[Any]:
    """``statement``'s rows, its table read through a bitmap of the view's rows (its
    index scans turned off for it alone): a view's rows read and parsed, their pages in
    the table's order, asked for ahead (``storage.database.PG_IO_CONCURRENCY``).

    PostgreSQL rather takes an index scan for ``ticket_id = ANY(the view's ids)``: the
    index is in the table's order for a run of ids, not for a view's ids scattered over
    the desk, and an index scan reads one page at a time — a tag's 1,187 messages at 100k
    tickets took 260-300 ms on a freshly started server with a cold OS cache, 28 ms
    read through a bitmap."""
    conn = connection_of(session)
    conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
    rows = list(conn.execute(statement, values).all())
    # (A failed statement ends the transaction, and its setting with it.)
    conn.exec_driver_sql("RESET enable_indexscan")
    return rows


def _pg_text(
    session: Reader,
    tables: _PgTables,
    name: str,
    query: str,
    within: Any | None,
    small: SmallView | None,
) -> Read:
    """The tier of ``query`` over the tickets' subjects (``name`` "ticket") or the first
    ``_PG_BODY_PREFIX`` characters of their messages' bodies ("message"), as the GIN
    indexes hold them (``_pg_tier``; a view of few tickets: ``_pg_few_matches``)."""
    text: Any
    if name == "ticket":
        model, key, ticket, text = core_tables.ticket, Ticket.id, Ticket.id, Ticket.subject
    else:
        model, key, ticket = core_tables.message, Message.id, Message.ticket_id
        text = func.left(Message.body, _PG_BODY_PREFIX)
    return _pg_tier(session, tables, model, key, ticket, text, query, within, small)


TRIGRAM = 3
"""A word this long or longer is looked up in the contacts' trigram index (migration 0021);
a shorter one has no trigram, so it is checked against every contact."""


def _organizations_holding(like: Any) -> Any:
    """Ids of the organizations whose name or domain is ``like`` (lowercase)."""
    return select(Organization.id).where(
        or_(
            func.lower(Organization.name).like(like),
            func.lower(func.coalesce(Organization.domain, "")).like(like),
        )
    )


def _name_or_email_holds(like: Any) -> Any:
    """A contact's name or email is ``like`` (lowercase)."""
    return or_(
        func.lower(Contact.name).like(like),
        func.lower(func.coalesce(Contact.email, "")).like(like),
    )


def _contacts_holding(session: Reader, term: str, among: Any | None) -> Any:
    """Ids of the contacts whose name, email, organization or domain holds ``term``;
    ``among``: a small view's requesters, the only contacts then looked at."""
    like = f"%{term}%"
    if dialect_name(session) == "sqlite" and len(term) >= TRIGRAM:
        by_organization = select(Contact.id).where(
            Contact.organization_id.in_(_organizations_holding(like))
        )
        # The trigram table answers "contains" (case-insensitively) in name or email.
        trigrams = table("contact_trigram", column("rowid"))
        by_text = select(trigrams.c.rowid).where(
            literal_column("contact_trigram").op("MATCH")(f'"{term}"')
        )
    else:
        return _contacts_like(like, among)
    return Contact.id.in_(union(by_text, by_organization))


def _contacts_like(like: Any, among: Any | None) -> Any:
    """The contacts whose name, email, organization or domain is ``like`` (lowercase);
    ``among``: a small view's requesters, the only contacts then looked at. PostgreSQL
    reads these through its trigram indexes when the server has them; a word shorter than
    a trigram is looked for in every contact's name and email (at 100k tickets, 16k
    contacts: 10-25 ms), or in a small view's requesters only."""
    by_text = select(Contact.id).where(_name_or_email_holds(like))
    by_organization = select(Contact.id).where(
        Contact.organization_id.in_(_organizations_holding(like))
    )
    if among is not None:
        by_text = by_text.where(Contact.id.in_(among))
        by_organization = by_organization.where(Contact.id.in_(among))
    return Contact.id.in_(union(by_text, by_organization))


def _pg_few_requesters(likes: list[Any], short: bool, view: Any) -> Any:
    """The contacts of a view of few tickets (PostgreSQL) that every word (its ``LIKE``
    pattern) finds in name, email, organization or domain; ``view``: the view's ids.
    Words of which one is too short for the trigram indexes (``short``): the view's
    requesters read once, as an array (looked up by the primary key), each one's text
    checked for every word. (Each word looking for its contacts among the view's
    requesters read them again, twice: name and email, then organization — 12-20 ms for
    "wi-fi" in a tag's 348 tickets at 100k, where the planner also read every contact once
    for the order; 2-3 ms this way. Longer words are found through the trigram indexes
    quicker still: 0.4 ms for "monitor".) The requesters are those of the view's ids, each
    ticket by its primary key: the view's statement again, its index ranges walked and
    each ticket then looked up, took 0.9 ms for tom.sd's 382 open tickets at 100k."""
    requesters = select(Ticket.requester_id).where(Ticket.id == any_(view))
    if not short:
        return and_(*[_contacts_like(like, requesters) for like in likes])
    among = func.array(requesters.scalar_subquery(), type_=ARRAY(Integer))
    per_word = [
        or_(_name_or_email_holds(like), Contact.organization_id.in_(_organizations_holding(like)))
        for like in likes
    ]
    return and_(Contact.id == any_(among), *per_word)


def _requesters(
    session: Reader,
    terms: list[str],
    within: Any | None,
    small_of: Callable[[], SmallView | None],
) -> Read:
    """Tickets of the contacts every word finds in name, email, organization or domain.
    ``small_of``: the view as a small view (None: not small), asked for once, when the tier
    first needs it: to look for contacts among the view's requesters (PostgreSQL, or a
    word too short for the trigram index), or to check the contacts' tickets — so a word
    no contact holds costs no count of the view."""
    postgres = dialect_name(session) != "sqlite"
    short = min(map(len, terms)) < TRIGRAM  # (a word the trigram indexes cannot find)
    small = cache(small_of)

    def holding() -> Any:
        view = small() if postgres or short else None
        among = None if view is None else select(Ticket.requester_id).where(Ticket.id.in_(view.ids))
        return and_(*[_contacts_holding(session, term, among) for term in terms])

    found: list[list[int]] = []

    def read(count: int, below: int | None) -> list[Any]:
        # The contacts are looked for when the tier is first read, not before: the tiers
        # above it usually fill the page.
        if not found:
            found.append(
                [
                    int(i)
                    for i in session.execute(
                        select(Contact.id)
                        .where(holding())
                        .order_by(Contact.name, Contact.id)
                        .limit(MAX_CONTACTS)
                    ).scalars()
                ]
            )
        contacts = found[0]
        if not contacts:
            return []
        view = small()
        # The view's own tickets, each one's requester looked at: SQLite would rather read
        # every ticket the view's statuses hold (76k open ones at 1M: 170 ms for a word in
        # 180 contacts' names) than look up 180 requesters in each status.
        by_ids = view is not None and not postgres

        def build() -> Any:
            checked = Ticket.id.in_(view.ids) if by_ids and view else in_view(Ticket.id, within)
            statement = select(Ticket.id, Ticket.id).where(
                Ticket.requester_id.in_(bindparam("contacts", expanding=True)), checked
            )
            if below is not None:
                statement = statement.where(Ticket.id < bindparam("below", type_=Integer))
            return statement.order_by(Ticket.id.desc()).limit(bindparam("count", type_=Integer))

        viewed = _view_key(view.ids) if by_ids and view else _view_key(within)
        statement = _statement(_keyed("requesters", by_ids, below is None, viewed), build)
        bound = {"contacts": contacts, "count": count, "below": below}
        return list(session.execute(statement, bound))

    return read


def tiers(
    session: Reader,
    query: str,
    within: Any | None = None,
    small: SmallView | None = None,
    open_view: OpenView | None = None,
) -> list[Read]:
    """The tiers of a search inside a view, best first (see the module's docstring)."""
    terms = words(query)
    if not terms:
        return []
    if dialect_name(session) == "sqlite":
        exact = _fts5(terms, prefix=False)
        tables = ("ticket_fts", "message_fts")
        if open_view is not None:  # the open tickets' index, the view's facets asked for
            prefix = f"({_fts5(terms, prefix=True)}) NOT ({exact})"
            longs = _LongMessages(session, open_view)
            whole = {
                name: _fts_read(session, *_open_match(name, exact, open_view), within)
                for name in tables
            }
            starts = {
                name: _open_prefix(session, name, terms, exact, open_view, within)
                for name in tables
            }
            found = [
                whole["ticket_fts"],
                _open_messages(session, whole["message_fts"], exact, longs, within),
                starts["ticket_fts"],
                _open_messages(session, starts["message_fts"], prefix, longs, within),
            ]
        elif small is not None:  # a table's two tiers from one stream
            both = [
                _SmallFts(session, name, exact, _fts5(terms, prefix=True), small) for name in tables
            ]
            found = [pair.tier(whole) for whole in (True, False) for pair in both]
        else:
            # The prefix tiers are read once the exact ones ended, so a row the exact query
            # matches gave its ticket already: FTS5 leaves those out itself (merging the two
            # lists of rowids, ≈ 0.05 µs a row), where each row handed out is checked
            # against the view (≈ 0.15 µs).
            prefix = f"({_fts5(terms, prefix=True)}) NOT ({exact})"
            found = [
                _fts_read(session, name, match, within)
                for match in (exact, prefix)
                for name in tables
            ]
    else:
        exact, prefix = _tsquery(terms, prefix=False), _tsquery(terms, prefix=True)
        shared = _PgTables(session)
        found = [
            _pg_text(session, shared, name, match, within, small)
            for match in (exact, prefix)
            for name in ("ticket", "message")
        ]
    small_of = open_view.small if open_view is not None else lambda: small
    return [*found, _requesters(session, terms, within, small_of)]


def matches(
    session: Reader,
    query: str,
    within: Any | None = None,
    small: SmallView | None = None,
    open_view: OpenView | None = None,
    need: int = FIRST_BATCH,
) -> Iterator[int]:
    """Ticket ids matching ``query`` that are in the view ``within`` (a condition on
    ``ticket``; None: all tickets), best first, each once; read lazily, tier by tier.
    ``small``: the same view, when it is small; ``open_view``: the same view, when it holds
    open tickets only (see the module's docstring); the order and the tickets are the same
    either way. ``need``: how many the caller means to read (a view of few tickets on
    PostgreSQL reads that many in one statement, ``_pg_few_matches``)."""
    if small is not None and small.size == 0:
        return  # an empty view (one agent's, who has no open ticket): nothing to look for
    number = number_in(query)
    if small is not None and small.listed is not None:
        yield from _pg_few_matches(session, query, number, small.listed, need)
        return
    seen: set[int] = set()
    if number is not None:
        by_number = _statement(
            _keyed("number", _view_key(within)),
            lambda: select(Ticket.id).where(
                Ticket.number == bindparam("number", type_=Integer), in_view(Ticket.id, within)
            ),
        )
        found = session.execute(by_number, {"number": number}).scalar()
        if found is not None:
            seen.add(int(found))
            yield int(found)
    for read in tiers(session, query, within, small, open_view):
        below: int | None = None
        count = FIRST_BATCH
        while True:
            batch = read(count, below)
            for ticket_id, _key in batch:
                if ticket_id not in seen:
                    seen.add(ticket_id)
                    yield int(ticket_id)
            if len(batch) < count:
                break
            below = batch[-1][1]
            count *= 2
