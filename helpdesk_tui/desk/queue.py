"""The one ticket lister: views, filters, sorts, keyset paging and search, for the TUI queue,
the CLI (``ticket list`` / ``ticket search``) and the palette.

Every page is an index walk, whatever the view, sort and filter, at 1k tickets as at 1M:

- A list shows tickets of one or more statuses. Each status is read as its own *arm*: an
  index range ``(status, key, id)`` (or ``(assignee_id, status, key, id)`` for one
  assignee or the unassigned), walked in the page's order from the last row seen
  (keyset pagination: page 1,000 costs what page 1 costs) and stopped after one page.
  The arms' pages are merged by one ``ORDER BY`` over at most one page per arm, so no
  query ever sorts more than ``arms * (limit + 1)`` rows.
- Where an arm's sort key is the same for all its rows (the status order inside one
  status, the assignee order under one assignee, the SLA order of a resolved ticket or of
  one without a deadline), the arm walks ``(status, id)`` and carries the key as a value.
- In the views' order (update time), a filter (team, category, type, priority, tag) has
  ranges of its own: ``(filter, status, updated_at, id)``, also after the assignee, and for
  a tag the same over ``ticket_tag``'s copies of its ticket's keys (migration 0017). One
  filter leads (``filter_lead``), so a filtered page walks only its own tickets.
- In any other order, and for the filters that do not lead, a filter is checked on each
  row of the walk, unless it is rare in the view (``selective_filter``). Those checks are
  written so that no engine picks their own index instead (which would mean sorting every
  match): ``+ 0`` / ``|| ''`` on SQLite, and PostgreSQL plans by cost.
- The requester and assignee orders walk columns the database keeps on the ticket
  (``requester_sort``, ``assignee_sort``: migration 0009), not a subquery per ticket.

``tests/desk/test_queue_plans.py`` checks the plan of every arm on both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import astuple
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.util import LRUCache

from helpdesk_tui.desk import search
from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.desk.queue_values import (
    SORT_ORDER as SORT_ORDER,
)
from helpdesk_tui.desk.queue_values import (
    ChangeMark as ChangeMark,
)
from helpdesk_tui.desk.queue_values import (
    PageKind,
    TicketFilter,
    TicketRow,
)
from helpdesk_tui.desk.queue_values import (
    Position as Position,
)
from helpdesk_tui.desk.queue_values import (
    QueuePage as QueuePage,
)
from helpdesk_tui.desk.queue_values import (
    QueueQuery as QueueQuery,
)
from helpdesk_tui.desk.statuses import ALL_STATUSES, OPEN_STATUSES, STATUS_RANK, parse_status
from helpdesk_tui.desk.ticket_rows import rows_by_id, rows_in, ticket_row
from helpdesk_tui.desk.values import (
    parse_address,
    parse_priority,
    parse_tag,
    parse_type,
    text_value,
)
from helpdesk_tui.storage.core_tables import (
    Agent,
    Contact,
    Event,
    Presence,
    Tag,
    Team,
    Ticket,
    TicketTag,
    ticket,
)
from helpdesk_tui.storage.database import connection_of, dialect_name
from helpdesk_tui.storage.enums import PRIORITY_RANK, Activity
from helpdesk_tui.storage.types import IdList, UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from helpdesk_tui.storage.database import Reader

_TICKET: Any = ticket
"""The ticket table's plain columns (the filters wrap them so no index is taken)."""

NO_DUE = datetime(9999, 1, 1, tzinfo=UTC)
"""The SLA order's value for a ticket with no deadline running: after every real one."""


class SortKey(NamedTuple):
    """One order: its ticket column (None: constant within a status) and a row's value."""

    column: Any
    value: Callable[[TicketRow], Any]
    sql_type: Any


SORT_KEYS: dict[str, SortKey] = {
    "number": SortKey(Ticket.number, lambda r: r.number, Integer()),
    "subject": SortKey(Ticket.subject, lambda r: r.subject, String()),
    "requester": SortKey(Ticket.requester_sort, lambda r: r.requester_name, String()),
    "status": SortKey(None, lambda r: STATUS_RANK[r.status], Integer()),
    "priority": SortKey(Ticket.priority_rank, lambda r: PRIORITY_RANK[r.priority], Integer()),
    "assignee": SortKey(Ticket.assignee_sort, lambda r: r.assignee or "", String()),
    "updated": SortKey(Ticket.updated_at, lambda r: r.updated_at, UTCDateTime()),
    "created": SortKey(Ticket.created_at, lambda r: r.created_at, UTCDateTime()),
    "sla": SortKey(Ticket.sla_due_at, lambda r: r.next_due or NO_DUE, UTCDateTime()),
}


def position(query: QueueQuery, row: TicketRow) -> Position:
    return Position(SORT_KEYS[query.sort].value(row), row.id)


# -- arms ----------------------------------------------------------------------------------


class Arm(NamedTuple):
    """One index range of a list: fixed equalities, and the key column or its constant.

    ``tagged``: the range is in ``ticket_tag`` (a tag filter's walk, over the copies of the
    ticket's status, update time and assignee kept there), not in ``ticket``.
    """

    where: list[Any]
    column: Any = None
    constant: Any = None
    tagged: bool = False


def _statuses(spec: TicketFilter) -> list[str]:
    if spec.statuses:
        return sorted({parse_status(s).value for s in spec.statuses}, key=STATUS_RANK.__getitem__)
    return list(OPEN_STATUSES if spec.open_only else ALL_STATUSES)


class FilterIds(NamedTuple):
    """The ids of the agent, tag and team a filter names (None: it names none; a tag
    no ticket has: -1, which no ticket's tag has either), looked up once per read of a
    page or a search (``filter_ids``) and handed to every condition made of them — the
    list's arms and row checks, the view a search reads, its count and its facets — so
    a name is looked up once, not by each (two to four look-ups a search before, ≈ 0.2 ms
    each on PostgreSQL). The reads run on a connection that outlives its transaction, so
    nothing is kept from one read to the next: a renamed tag is found by its new name at
    once."""

    agent: int | None = None
    tag: int | None = None
    team: int | None = None
    requester: int | None = None
    """The contact ``TicketFilter.requester`` names (-1: none has that address)."""


def _requester_id(spec: TicketFilter, named: FilterIds) -> int | None:
    """The one customer whose tickets the list holds, by id or by address; None: anyone's."""
    return named.requester if spec.requester is not None else spec.requester_id


def _by_requester(spec: TicketFilter) -> bool:
    return spec.requester_id is not None or spec.requester is not None


def filter_ids(session: Reader, spec: TicketFilter) -> FilterIds:
    """The ids ``spec`` names, in one statement (none if it names none); an agent or a team
    that does not exist is refused here, naming the command that lists them."""
    asked: dict[str, Any] = {}
    if spec.assignee and not spec.unassigned:
        asked["agent"] = select(Agent.id).where(Agent.login == spec.assignee)
    if spec.tag:
        asked["tag"] = select(Tag.id).where(Tag.name == parse_tag(spec.tag))
    if spec.team:
        asked["team"] = select(Team.id).where(Team.name == spec.team)
    if spec.requester is not None:
        address = parse_address(spec.requester)
        asked["requester"] = select(Contact.id).where(Contact.email == address)
    if not asked:
        return FilterIds()
    row = session.execute(select(*(q.scalar_subquery() for q in asked.values()))).one()
    found = dict(zip(asked, row, strict=True))
    if "agent" in found and found["agent"] is None:
        raise InvalidValue(f"no agent {spec.assignee!r}; see: helpdesk agent list")
    if "team" in found and found["team"] is None:
        raise InvalidValue(f"no team {spec.team!r}; see: helpdesk team list")
    if "tag" in found and found["tag"] is None:
        found["tag"] = -1
    if "requester" in found and found["requester"] is None:
        found["requester"] = -1
    return FilterIds(**{name: int(value) for name, value in found.items()})


def _unindexed(session: Reader, column: Any) -> Any:
    """``column`` in a form no index serves, so a filter on it never drives the plan.

    Walking the sort's index and checking each row stops after one page; taking the
    filter's own index instead means reading and sorting every match first.
    """
    if dialect_name(session) != "sqlite":
        return column
    if isinstance(column.type, String):
        return column.op("||")(literal(""))
    return column + 0


FEW = 2000
"""A filter that matches fewer tickets than this in a view is read through its own index
and its matches sorted (at most this many rows); a commoner one is checked row by row on
the sort's index walk, which then finds a page within a few thousand rows. Either way no
read grows with the desk: a filter matching nothing at all is the case this is for."""
TAG_PROBE = 5_000
"""A tag on fewer tickets than this may be rare in a view (its tickets' statuses are then
looked at); a commoner one is checked on the walk."""


def selective_filter(session: Reader, query: QueueQuery, named: FilterIds) -> list[Any] | None:
    """The list's conditions (filters on their own indexes) if one filter is rare in the
    view — fewer than ``FEW`` matches, counted through its index — else None."""
    spec = query.filter
    if _by_requester(spec):
        return None
    view = [Ticket.status.in_(_statuses(spec)), *_lead(spec, named)]
    probes: list[Any] = []
    if spec.priorities:
        values = sorted({parse_priority(p).value for p in spec.priorities})
        probes.append(Ticket.priority.in_(values))
    if spec.types:
        probes.append(Ticket.type.in_(sorted({parse_type(t).value for t in spec.types})))
    if spec.team:
        probes.append(Ticket.team_id == named.team)
    if spec.category:
        probes.append(Ticket.category == spec.category)
    rare = False
    for probe in probes:
        matches = select(Ticket.id).where(probe, *view).limit(FEW).subquery()
        rare = rare or session.execute(select(func.count()).select_from(matches)).scalar_one() < FEW
    if spec.tag:
        tagged = (
            select(TicketTag.ticket_id)
            .where(TicketTag.tag_id == named.tag)
            .limit(TAG_PROBE)
            .subquery()
        )
        # Only a tag on few tickets in all can be rare in the view: count those, not more.
        total = session.execute(select(func.count()).select_from(tagged)).scalar_one()
        if total < TAG_PROBE and not rare:
            in_view = session.execute(
                select(func.count())
                .select_from(tagged)
                .join(ticket, Ticket.id == tagged.c.ticket_id)
                .where(*view)
            ).scalar_one()
            rare = in_view < FEW
        probes.append(
            Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.tag_id == named.tag))
        )
    return [*view, *probes] if rare else None


def _lead(spec: TicketFilter, named: FilterIds, table: Any = Ticket) -> list[Any]:
    """The assignee's equality (one agent's, or the unassigned) on ``table``: the ticket,
    or ``TicketTag`` and its copy of the ticket's assignee."""
    if spec.unassigned:
        return [table.assignee_id.is_(None)]
    if spec.assignee:
        return [table.assignee_id == named.agent]
    return []


FILTER_LEADS = ("tag", "category", "team", "type", "priority")
"""Filters with a walk of their own in the views' order (migration 0017); when a list has
several, the first of those with the fewest values leads and the others are checked on it."""


def filter_lead(query: QueueQuery) -> str | None:
    """The filter whose own index range a list walks, if any.

    Every view lists by update time, and each filter has the views' ranges behind it
    (``(filter, status, updated_at, id)``, also after the assignee): in that order a
    filtered list walks exactly its own tickets, however few or many of them match.
    """
    spec = query.filter
    if query.sort != "updated" or _by_requester(spec):
        return None
    counts = {
        "tag": 1 if spec.tag else 0,
        "category": 1 if spec.category else 0,
        "team": 1 if spec.team else 0,
        "type": len(set(spec.types)),
        "priority": len(set(spec.priorities)),
    }
    present = [name for name in FILTER_LEADS if counts[name]]
    return min(present, key=counts.__getitem__) if present else None


def _lead_values(spec: TicketFilter, named: FilterIds, name: str) -> list[Any]:
    """The lead filter's equalities, one per value (each value is a range of its own)."""
    if name == "tag":
        return [TicketTag.tag_id == named.tag]
    if name == "category":
        return [Ticket.category == spec.category]
    if name == "team":
        return [Ticket.team_id == named.team]
    if name == "type":
        return [Ticket.type == value for value in sorted({parse_type(t).value for t in spec.types})]
    values = sorted({parse_priority(p).value for p in spec.priorities})
    return [Ticket.priority == value for value in values]


def residual_filters(
    session: Reader, spec: TicketFilter, named: FilterIds, skip: str | None = None
) -> list[Any]:
    """The conditions checked row by row on the walk (everything but status, assignee and
    the filter ``skip``, whose own range the walk is)."""
    where: list[Any] = []
    if spec.priorities and skip != "priority":
        values = sorted({parse_priority(p).value for p in spec.priorities})
        where.append(_unindexed(session, _TICKET.c.priority).in_(values))
    if spec.types and skip != "type":
        values = sorted({parse_type(t).value for t in spec.types})
        where.append(_unindexed(session, _TICKET.c.type).in_(values))
    if spec.team and skip != "team":
        where.append(_unindexed(session, _TICKET.c.team_id) == named.team)
    if spec.category and skip != "category":
        where.append(_unindexed(session, _TICKET.c.category) == spec.category)
    if spec.tag and skip != "tag":
        where.append(
            exists()
            .where(
                TicketTag.ticket_id == Ticket.id,
                TicketTag.tag_id == named.tag,
            )
            .correlate(ticket)
        )
    return where


def arms(query: QueueQuery, named: FilterIds) -> list[Arm]:
    """The index ranges that together hold exactly the list's tickets."""
    spec = query.filter
    statuses = _statuses(spec)
    key = SORT_KEYS[query.sort]
    lead = _lead(spec, named)
    assignee_login = "" if spec.unassigned else spec.assignee or None
    if _by_requester(spec):
        # One customer's tickets ("their other tickets"): few, so one range by requester.
        where = [Ticket.requester_id == _requester_id(spec, named), Ticket.status.in_(statuses)]
        return [Arm([*lead, *where], column=key_expression(query.sort))]
    if (name := filter_lead(query)) is not None:
        # A range per value of the filter and status, in ``ticket_tag`` for a tag.
        tagged = name == "tag"
        return [
            Arm(
                [*_lead(spec, named, TicketTag), value, TicketTag.status == status],
                column=TicketTag.updated_at,
                tagged=True,
            )
            if tagged
            else Arm([*lead, value, Ticket.status == status], column=key.column)
            for value in _lead_values(spec, named, name)
            for status in statuses
        ]
    made = []
    for status in statuses:
        where = [*lead, Ticket.status == status]
        if query.sort == "status":
            made.append(Arm(where, constant=STATUS_RANK[status]))
        elif query.sort == "assignee" and assignee_login is not None:
            made.append(Arm(where, constant=assignee_login))
        elif query.sort == "sla":
            if status in OPEN_STATUSES:
                made.append(Arm([*where, Ticket.sla_due_at.is_not(None)], column=key.column))
                made.append(Arm([*where, Ticket.sla_due_at.is_(None)], constant=NO_DUE))
            else:
                made.append(Arm(where, constant=NO_DUE))
        else:
            made.append(Arm(where, column=key.column))
    return made


def key_expression(sort: str) -> Any:
    """The sort key as one expression over all statuses, for lists of few rows (which are
    read through their filter's index and sorted: one customer's tickets, a rare filter)."""
    if sort == "status":
        return case(STATUS_RANK, value=Ticket.status)
    if sort == "sla":
        return func.coalesce(
            case((Ticket.status.in_(OPEN_STATUSES), Ticket.sla_due_at)),
            literal(NO_DUE, UTCDateTime()),
        )
    return SORT_KEYS[sort].column


def arm_statement(
    arm: Arm,
    query: QueueQuery,
    residual: Sequence[Any],
    *,
    start: Position | None,
    descending: bool,
    inclusive: bool,
    limit: int,
) -> Any | None:
    """One arm's walk: ``(id, key)`` of up to ``limit`` rows from ``start``; None if empty."""
    key_type = SORT_KEYS[query.sort].sql_type
    ticket_id: Any
    if arm.tagged:
        # The ticket is read for the other filters only, by its id, on each row of the walk.
        ticket_id = TicketTag.ticket_id
        where = [*arm.where]
        if residual:
            where.append(exists().where(Ticket.id == ticket_id, *residual))
    else:
        ticket_id = Ticket.id
        where = [*arm.where, *residual]
    if arm.column is None:
        key: Any = literal(arm.constant, key_type)
        order = [ticket_id.desc() if descending else ticket_id]
        if start is not None:
            before = arm.constant < start.value if descending else arm.constant > start.value
            if arm.constant == start.value:
                if descending:
                    where.append(ticket_id <= start.id if inclusive else ticket_id < start.id)
                else:
                    where.append(ticket_id >= start.id if inclusive else ticket_id > start.id)
            elif not before:
                return None
    else:
        key = arm.column
        order = _key_order(key, ticket_id, descending)
        if start is not None:
            pair, cursor = tuple_(key, ticket_id), tuple_(literal(start.value, key_type), start.id)
            if descending:
                where.append(pair <= cursor if inclusive else pair < cursor)
            else:
                where.append(pair >= cursor if inclusive else pair > cursor)
    return (
        select(ticket_id.label("id"), key.label("k"))
        .where(and_(true(), *where))
        .order_by(*order)
        .limit(limit)
    )


def _fetch(
    session: Reader,
    query: QueueQuery,
    *,
    start: Position | None,
    forward: bool,
    inclusive: bool,
    limit: int,
    named: FilterIds | None = None,
    mark: ChangeMark | None = None,
) -> tuple[list[TicketRow], bool, list[Position]]:
    """Up to ``limit`` rows from ``start`` walking forward (or backward) in list order.
    ``named``: the filter's ids if the caller has them already (else looked up here);
    ``mark``: the change mark read before the page in the same read (a search's view is
    then counted once at it: ``kept_small_view``)."""
    if named is None:
        named = _resolved(session, query)
    if search.words(query.text):
        return _search_fetch(session, query, named, start, forward, inclusive, limit, mark)
    descending = query.descending == forward
    chosen, residual = walk(session, query, named)
    statements = [
        statement
        for arm in chosen
        if (
            statement := arm_statement(
                arm,
                query,
                residual,
                start=start,
                descending=descending,
                inclusive=inclusive,
                limit=limit + 1,
            )
        )
        is not None
    ]
    rows = _page_rows(session, statements, descending, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    return rows, more, [position(query, row) for row in rows]


def walk(session: Reader, query: QueueQuery, named: FilterIds) -> tuple[list[Arm], list[Any]]:
    """A list's arms, and the conditions checked on each row of their walks."""
    if filter_lead(query) is None and (few := selective_filter(session, query, named)) is not None:
        return [Arm(few, column=key_expression(query.sort))], []
    lead = filter_lead(query)
    return arms(query, named), residual_filters(session, query.filter, named, skip=lead)


def _page_rows(
    session: Reader, statements: list[Any], descending: bool, limit: int
) -> list[TicketRow]:
    """The rows of the first ``limit`` ids of the arms' pages, in order, in one statement:
    one sort of at most the arms' rows, then each row read by its ticket's primary key."""
    if not statements:
        return []
    if len(statements) == 1:
        page = statements[0].subquery()
    else:
        merged = union_all(*[select(p.c.id, p.c.k) for p in (s.subquery() for s in statements)])
        inner = merged.subquery()
        order = _key_order(inner.c.k, inner.c.id, descending)
        page = select(inner.c.id, inner.c.k).order_by(*order).limit(limit).subquery()
    return rows_in(session, page, _key_order(page.c.k, page.c.id, descending))


def _key_order(key: Any, ticket_id: Any, descending: bool) -> list[Any]:
    """A list's order: by its sort key, then by the ticket's id (the tie-breaker)."""
    return [key.desc(), ticket_id.desc()] if descending else [key, ticket_id]


# -- search --------------------------------------------------------------------------------

MAX_SEARCH_RESULTS = 10_000
"""How far a search is read for End (its last page): the search's order is its ranking."""


def view_condition(session: Reader, spec: TicketFilter, named: FilterIds) -> Any | None:
    """The view's filter as one condition on ``ticket`` (None: every ticket is in it).

    The same arms and residual filters the view's own list walks, so a search inside the
    view puts its filter into each tier's statement and reads only matches in the view.
    """
    if spec == TicketFilter():
        return None
    conditions = [
        and_(true(), *arm.where) for arm in arms(QueueQuery(filter=spec, sort="number"), named)
    ]
    return and_(or_(*conditions), *residual_filters(session, spec, named))


SMALL_VIEW = 10_000
"""A search inside a view of fewer tickets than this is a search in a small view
(``search.SmallView``): on SQLite the view's ids are read first (through the view's own
index ranges) and each match is looked for among them; in a bigger view each match is
checked against the view (``view_condition``) as the search's index hands it out. That
check is a look-up per match, so a view holding few of a common word's matches (one
agent's, a tag's) read them all: 0.5 s at 1M tickets. Reading the view's ids costs what
the view holds, bounded by this, whatever the word; a bigger view (all open tickets, a
big team's) holds a page of a word's matches among its first ones, as a rule."""


def small_view(session: Reader, spec: TicketFilter, named: FilterIds) -> search.SmallView | None:
    """The view's tickets (their ids: a statement, and how many) if it holds fewer than
    ``SMALL_VIEW``, counted through its own index ranges (the arms of its list, a filter
    leading) as ``selective_filter`` counts a filter's matches; None for a bigger view."""
    if spec == TicketFilter():
        return None
    query = QueueQuery(filter=spec)
    residual = residual_filters(session, spec, named, skip=filter_lead(query))
    ranges = []
    for arm in arms(query, named):
        walk = arm_statement(
            arm, query, residual, start=None, descending=True, inclusive=False, limit=1
        )
        if walk is not None:  # the walk without its order and limit: the whole range
            ranges.append(
                walk.with_only_columns(walk.selected_columns.id).order_by(None).limit(None)
            )
    ids = union_all(*ranges)
    if dialect_name(session) == "sqlite":
        counted = select(func.count()).select_from(ids.limit(SMALL_VIEW).subquery())
        size = int(session.execute(counted).scalar_one())
        return search.SmallView(ids, size) if size < SMALL_VIEW else None
    # Each range counted on its own, up to the limit, and the counts summed: over their
    # union PostgreSQL starts parallel workers for all open tickets at 100k (≈ 16 ms where
    # the ranges' own walks take ≈ 5). The ids of a view of few tickets come with the
    # count, in the same statement: its array is read only when the count is small enough.
    counts = [
        select(func.count()).select_from(walk.limit(SMALL_VIEW).subquery()).scalar_subquery()
        for walk in ranges
    ]
    sized = select(sum(counts[1:], counts[0]).label("size")).subquery()
    listed = func.array(select(ids.subquery().c.id).scalar_subquery(), type_=ARRAY(Integer))
    few = case((sized.c.size <= search.PG_FEW_TICKETS, listed))
    size, found = session.execute(select(sized.c.size, few)).one()
    if size >= SMALL_VIEW:
        return None
    return search.SmallView(ids, int(size), None if found is None else IdList(found))


VIEWS_KEPT = 64
"""Small views kept (``kept_small_view``): a search's pages at one change mark."""
_VIEWS: LRUCache[Any, Any] = LRUCache(VIEWS_KEPT)
_UNCOUNTED = object()


def kept_small_view(
    session: Reader, spec: TicketFilter, named: FilterIds, mark: ChangeMark | None
) -> search.SmallView | None:
    """``small_view``, counted once per database, view and change mark (``mark``, read
    before the page in the same read; None: counted now). Which tickets a view holds moves
    only with a change to a ticket, and every change writes an event, which moves the
    mark's ``events`` (as the queue screen knows to read its window again): so each page
    of a search (PageDown, End) at the same mark would count the view again for the same
    size and ids (on PostgreSQL a count per range and the ids' array), as its tiers asked
    the same estimates again before ``search._ESTIMATES`` kept them. (The limits it was
    counted against are in the key too: a view is small, or few, by them.)"""
    if mark is None:
        return small_view(session, spec, named)
    database = connection_of(session).engine.url
    limits = (SMALL_VIEW, search.PG_FEW_TICKETS)
    kept = (database, _spec_key(spec), named, mark.events, limits)
    found = _VIEWS.get(kept, _UNCOUNTED)  # (None: counted, and not small)
    if found is _UNCOUNTED:
        found = _VIEWS[kept] = small_view(session, spec, named)
    view: search.SmallView | None = found
    return view


def drop_kept_views(database: URL) -> None:
    """Forget the small views kept for ``database``: a restore replaced the desk there, and
    the restored desk's change mark may be one the desk before it had (the same newest
    event and count: its events are the backup's), so a view counted before would answer
    for the restored desk until the next change."""
    for key in [key for key in list(_VIEWS) if key[0] == database]:
        _VIEWS.pop(key, None)


def _spec_key(spec: TicketFilter) -> tuple[Any, ...]:
    """``spec``'s fields as a key (its sequences as tuples)."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in astuple(spec))


def open_view(
    session: Reader, spec: TicketFilter, named: FilterIds, mark: ChangeMark | None = None
) -> search.OpenView | None:
    """On SQLite, a view of open tickets only (its statuses all open, no customer's): the
    tokens of its filters in the open tickets' index (``search.OpenView``); None for any
    other view, and on PostgreSQL. ``mark``: as ``kept_small_view``'s."""
    if dialect_name(session) != "sqlite" or _by_requester(spec):
        return None
    if not set(_statuses(spec)) <= set(OPEN_STATUSES):
        return None
    facets = search.open_facets(
        assignee=0 if spec.unassigned else named.agent,
        tag=named.tag,
        team=named.team,
        category=spec.category or None,
        types=tuple(sorted({parse_type(t).value for t in spec.types})),
        priorities=tuple(sorted({parse_priority(p).value for p in spec.priorities})),
    )
    return search.OpenView(facets, lambda: kept_small_view(session, spec, named, mark))


def _search_ids(
    session: Reader, query: QueueQuery, named: FilterIds, need: int, mark: ChangeMark | None
) -> list[int]:
    """The first ``need`` matches of the search that are in the view, best first (a view of
    open tickets on SQLite is counted only if the requester tier needs it: ``OpenView``;
    ``mark``: the view counted once at it, ``kept_small_view``)."""
    spec = query.filter
    within = view_condition(session, spec, named)
    opened = open_view(session, spec, named, mark)
    small = kept_small_view(session, spec, named, mark) if opened is None else None
    return list(islice(search.matches(session, query.text, within, small, opened, need), need))


def _search_fetch(
    session: Reader,
    query: QueueQuery,
    named: FilterIds,
    start: Position | None,
    forward: bool,
    inclusive: bool,
    limit: int,
    mark: ChangeMark | None,
) -> tuple[list[TicketRow], bool, list[Position]]:
    """A page of a search, by rank: the tiers are read from the top up to the page."""
    if start is None:
        if forward:
            begin = 0
            ids = _search_ids(session, query, named, limit + 1, mark)
        else:
            ids = _search_ids(session, query, named, MAX_SEARCH_RESULTS, mark)
            begin = max(0, len(ids) - limit)
            chosen = ids[begin:]
            return rows_by_id(session, chosen), begin > 0, _places(chosen, begin)
    elif forward:
        begin = int(start.value) + (0 if inclusive else 1)
        ids = _search_ids(session, query, named, begin + limit + 1, mark)
    else:
        end = int(start.value) + (1 if inclusive else 0)
        begin = max(0, end - limit)
        ids = _search_ids(session, query, named, end, mark)
        chosen = ids[begin:end]
        return rows_by_id(session, chosen), begin > 0, _places(chosen, begin)
    chosen = ids[begin : begin + limit]
    return rows_by_id(session, chosen), len(ids) > begin + limit, _places(chosen, begin)


def _places(ids: list[int], begin: int) -> list[Position]:
    return [Position(begin + offset, ticket_id) for offset, ticket_id in enumerate(ids)]


# -- changes -------------------------------------------------------------------------------

LATE_COMMITS = 100
"""Ids this far below the newest are counted too: on PostgreSQL a transaction that took an
id earlier may commit after a later one, so the newest id alone could miss it."""


def newest_events() -> Any:
    """The newest event id, and how many events there are within ``LATE_COMMITS`` of it
    (``newest_ids``): what moves when anything on the desk changes."""
    return newest_ids(Event.id)


def newest_ids(key: Any) -> Any:
    """The newest ``key`` (a table's integer primary key), and how many rows there are
    within ``LATE_COMMITS`` of it: a row committed late, with an id below the newest,
    moves the count.

    Those ids are at most ``LATE_COMMITS``, and they are the newest rows; so they are
    looked for among the newest ``LATE_COMMITS`` rows (a walk of the key backwards that
    stops there). Asked as ``id > max(id) - 100`` alone, the range is unknown when
    PostgreSQL plans it, which then guesses a third of the table and, at 100k tickets (a
    million events), starts parallel workers for it: 10-20 ms per read, on every page and
    every change check.
    """
    newest = select(func.max(key)).scalar_subquery()
    last = select(key.label("id")).order_by(key.desc()).limit(LATE_COMMITS).subquery()
    return select(func.max(last.c.id).label("newest"), func.count(last.c.id).label("late")).where(
        last.c.id > func.coalesce(newest, 0) - LATE_COMMITS
    )


def change_mark(session: Reader, now: datetime) -> ChangeMark:
    """The newest event ids and the presence table's summary (a few rows), in one statement.

    The presence summary (``presence_summary``) moves when a marker would; its last value
    counts the rows live at ``now``, as ``presence.on_tickets`` reads them: with none, there
    is no marker to read. The first of those rows to expire gives the mark's ``expires``.
    """
    events = newest_events().subquery()
    is_live = Presence.expires_at >= now
    live = select(
        *presence_summary(),
        func.count(Presence.id).filter(is_live),
        func.min(Presence.expires_at).filter(is_live),
    ).subquery()
    found = session.execute(
        select(events.c.newest, events.c.late, *live.c).select_from(events.join(live, true()))
    ).one()
    return ChangeMark(
        events=(found[0] or 0, found[1]), presence=tuple(found[2:-1]), expires=found[-1]
    )


def probe_statement(agent_id: int | None = None) -> Any:
    """The change mark without its count of live presence rows (which moves with the clock
    alone: the screen looks again when the mark's first live row expires, ``ChangeMark.
    expires``): the same newest events and presence rows, a constant statement
    (``queue_watch``). With ``agent_id``, that agent's standing too (active, role; none
    once removed: a primary-key read), which no event records: a terminal's queue learns
    at its next look that an admin deactivated its agent or gave them another role."""
    events = newest_events().subquery()
    rows = select(*presence_summary()).subquery()
    columns = [events.c.newest, events.c.late, *rows.c]
    if agent_id is not None:
        mine = Agent.id == agent_id
        columns += [
            select(Agent.active).where(mine).scalar_subquery().label("agent_active"),
            select(Agent.role).where(mine).scalar_subquery().label("agent_role"),
        ]
    return select(*columns).select_from(events.join(rows, true()))


def presence_summary() -> tuple[Any, ...]:
    """What moves when a presence marker would: a terminal comes to a ticket (a new row),
    changes what it does there (viewing ⇄ replying: the count replying, and the row's
    ``started_at``), or leaves (fewer rows). Not a heartbeat, which only pushes a row's
    ``expires_at`` on: in the summary (as its newest ``expires_at`` was), each beat of any
    terminal on any ticket made every open queue read its markers again and redraw its rows,
    idle (≈ 1 % of a core each on a team's desk, where someone is nearly always on a ticket).
    """
    return (
        func.max(Presence.id).label("newest"),
        func.count(Presence.id).label("rows"),
        func.count(Presence.id).filter(Presence.activity == Activity.REPLYING).label("replying"),
        func.max(Presence.started_at).label("started"),
    )


def anyone_on(mark: ChangeMark) -> bool:
    """Whether any presence row was live when ``mark`` was read (markers to read)."""
    return mark.anyone_on


# -- pages -------------------------------------------------------------------------------------


def _resolved(session: Reader, query: QueueQuery) -> FilterIds:
    """The ids ``query``'s filter names (``filter_ids``), once its text is checked."""
    _check_text(query)
    return filter_ids(session, query.filter)


def _check_text(query: QueueQuery) -> None:
    """Filter and search text with NUL or undecodable bytes is refused here, in one line
    naming the field, never by the database driver with a traceback."""
    spec = query.filter
    for name in ("assignee", "team", "tag", "category"):
        if (value := getattr(spec, name)) is not None:
            text_value(value, name)
    if query.text:
        text_value(query.text, "search text")


def first_page(
    session: Reader, query: QueueQuery, limit: int, *, mark: ChangeMark | None = None
) -> QueuePage:
    rows, more, places = _fetch(
        session,
        query,
        start=None,
        forward=True,
        inclusive=False,
        limit=limit,
        mark=mark,
    )
    return QueuePage(rows, more_before=False, more_after=more, positions=places)


def last_page(
    session: Reader, query: QueueQuery, limit: int, *, mark: ChangeMark | None = None
) -> QueuePage:
    rows, more, places = _fetch(
        session,
        query,
        start=None,
        forward=False,
        inclusive=False,
        limit=limit,
        mark=mark,
    )
    return QueuePage(rows, more_before=more, more_after=False, positions=places)


def page_after(
    session: Reader,
    query: QueueQuery,
    after: Position,
    limit: int,
    *,
    mark: ChangeMark | None = None,
) -> QueuePage:
    rows, more, places = _fetch(
        session,
        query,
        start=after,
        forward=True,
        inclusive=False,
        limit=limit,
        mark=mark,
    )
    return QueuePage(rows, more_before=True, more_after=more, positions=places)


def page_before(
    session: Reader,
    query: QueueQuery,
    before: Position,
    limit: int,
    *,
    mark: ChangeMark | None = None,
) -> QueuePage:
    rows, more, places = _fetch(
        session,
        query,
        start=before,
        forward=False,
        inclusive=False,
        limit=limit,
        mark=mark,
    )
    return QueuePage(rows, more_before=more, more_after=True, positions=places)


def page_from(
    session: Reader,
    query: QueueQuery,
    start: Position | None,
    limit: int,
    *,
    mark: ChangeMark | None = None,
) -> QueuePage:
    """``limit`` rows from ``start`` on, ``start`` itself included (re-reading a window)."""
    if start is None:
        return first_page(session, query, limit, mark=mark)
    rows, more, places = _fetch(
        session,
        query,
        start=start,
        forward=True,
        inclusive=True,
        limit=limit,
        mark=mark,
    )
    return QueuePage(rows, more_before=True, more_after=more, positions=places)


def read_page(
    session: Reader,
    query: QueueQuery,
    limit: int,
    *,
    kind: PageKind = "first",
    start: Position | None = None,
    mark: ChangeMark | None = None,
) -> QueuePage:
    """One page of a list, by kind; "after" and "before" need ``start``. ``mark``: the
    change mark read before it in the same read (``_fetch``)."""
    if kind == "first":
        return first_page(session, query, limit, mark=mark)
    if kind == "last":
        return last_page(session, query, limit, mark=mark)
    if kind == "from":
        return page_from(session, query, start, limit, mark=mark)
    if start is None:
        raise InvalidValue(f"a page {kind} needs a position to start from")
    if kind == "after":
        return page_after(session, query, start, limit, mark=mark)
    return page_before(session, query, start, limit, mark=mark)


def neighbour(session: Reader, query: QueueQuery, number: int, step: int) -> int | None:
    """The ticket ``step`` places after (or, negative, before) ``number`` in the list's order.

    Walks from the ticket's current place even if it no longer matches the filter, so
    "next" after closing a ticket is the one that followed it.
    """
    row = ticket_row(session, number)
    if row is None or step == 0:
        return None
    start = position(query, row)
    named = _resolved(session, query)
    if search.words(query.text):
        ranked = _search_ids(session, query, named, MAX_SEARCH_RESULTS, None)
        if row.id not in ranked:
            return None
        start = Position(ranked.index(row.id), row.id)
    rows, _more, _places = _fetch(
        session,
        query,
        start=start,
        forward=step > 0,
        inclusive=False,
        limit=abs(step),
        named=named,
    )
    if len(rows) < abs(step):
        return None
    return rows[-1].number if step > 0 else rows[0].number
