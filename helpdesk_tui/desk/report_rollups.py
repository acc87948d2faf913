"""Rollups of the report tables: what a report over every ticket reads instead of them.

``report_rollup`` counts ``report_ticket`` / ``report_reply`` rows by day (created, resolved,
first responses met, ratings, replies; with category, channel and type where a breakdown
needs them) and, per month, by duration bucket (:func:`reports.bucket_of`) per agent. The
one writer of the report tables (``report_catchup.replay``) keeps them: for each replayed
ticket it subtracts its old row's counts and adds its new row's (:func:`apply`), in the
same transaction; the demo loader adds its new tickets' rows' counts the same way. A
report without filters then reads a few thousand rollup rows instead of a million ticket
rows; the histograms' months at the ends of the range that the range cuts are read from
``report_ticket`` (:func:`durations`), and a quantile is made exact by counting the
minutes inside the one bucket that holds it (:func:`inside`: every quantile's bucket in
one statement).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from helpdesk_tui.desk.reports import (
    BUCKET_EDGES,
    UNDONE,
    Bucket,
    Counts,
    Inside,
    Kind,
    bucket_of,
    bucket_range,
    month_days,
    month_of,
)
from helpdesk_tui.storage.database import connection_of

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader

Key = tuple[str, int, int, str, str, str, int]
"""(measure, period, agent, a, b, c, value) — the rollup's primary key."""

CREATED, RESOLVED, RESOLVED_FLAGS = "created", "resolved", "resolved_flags"
RESPONSE_MET, RATING, REPLY = "response_met", "rating", "reply"
DAILY = (CREATED, RESOLVED_FLAGS, RESPONSE_MET, RATING, REPLY)
"""Measures read per day (``resolved`` is counted per day too, but a report reads its days
from ``resolved_flags``); the :class:`reports.Kind` ones are histograms per month."""

_COLUMNS: dict[Kind, tuple[str, str, str | None]] = {
    Kind.RESOLUTION: ("resolved_day", "resolution_mins", "agent_id"),
    Kind.RESPONSE: ("response_day", "response_mins", "responder_id"),
    Kind.RESOLUTION_BUSINESS: ("resolved_day", "resolution_bmins", None),
    Kind.RESPONSE_BUSINESS: ("response_day", "response_bmins", None),
}
"""Each histogram's day, minutes and agent columns in ``report_ticket``."""


def _met(met: int | None) -> int:
    return -1 if met is None else met


def _unmet(value: int) -> int | None:
    return None if value < 0 else value


def ticket_keys(row: Mapping[Any, Any]) -> Iterator[Key]:
    """The rollup rows one ``report_ticket`` row counts in (once each)."""
    values = (row["category"] or "", row["channel"], row["type"])
    yield (CREATED, row["created_day"], 0, *values, 0)
    resolved = row["resolved_day"]
    if resolved is not None and row["resolution_mins"] is None:  # reopened, open again
        yield (RESOLVED_FLAGS, resolved, 0, "", "", "", UNDONE * 3)
    elif resolved is not None:
        yield (RESOLVED, resolved, 0, *values, 0)
        flags = (1 if row["reopens"] else 0) * 3 + _met(row["resolution_met"]) + 1
        yield (RESOLVED_FLAGS, resolved, 0, "", "", "", flags)
    responded = row["response_day"]
    if responded is not None:
        yield (RESPONSE_MET, responded, 0, "", "", "", _met(row["response_met"]))
    for kind, (day_column, minutes_column, agent_column) in _COLUMNS.items():
        day, minutes = row[day_column], row[minutes_column]
        if day is not None and minutes is not None:
            agent = row[agent_column] or 0 if agent_column else 0
            yield (kind.value, month_of(day), agent, "", "", "", bucket_of(minutes))
    if row["rated_day"] is not None:
        yield (RATING, row["rated_day"], row["agent_id"] or 0, "", "", "", row["rating"])


def reply_key(row: Mapping[Any, Any]) -> Key:
    return (REPLY, row["day"], row["agent_id"], "", "", "", 0)


def delta(
    old_tickets: Iterable[Mapping[Any, Any]],
    new_tickets: Iterable[Mapping[Any, Any]],
    old_replies: Iterable[Mapping[Any, Any]],
    new_replies: Iterable[Mapping[Any, Any]],
) -> Counter[Key]:
    """Minus the old rows, plus the new ones (keys whose count does not move are left out)."""
    change: Counter[Key] = Counter()
    for row in old_tickets:
        change.subtract(ticket_keys(row))
    for row in new_tickets:
        change.update(ticket_keys(row))
    change.subtract(reply_key(row) for row in old_replies)
    change.update(reply_key(row) for row in new_replies)
    return Counter({key: n for key, n in change.items() if n})


_UPSERT = (
    "INSERT INTO report_rollup (measure, period, agent, a, b, c, value, n) {rows} "
    "ON CONFLICT (measure, period, agent, a, b, c, value) "
    "DO UPDATE SET n = report_rollup.n + excluded.n"
)
_SQLITE_UPSERT = _UPSERT.format(rows="VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_POSTGRESQL_UPSERT = _UPSERT.format(
    rows="SELECT * FROM unnest(%s::text[], %s::int[], %s::int[], %s::text[], %s::text[], "
    "%s::text[], %s::int[], %s::bigint[])"
)


def apply(conn: Connection, change: Counter[Key]) -> None:
    """Add ``change`` to the rollups (an upsert per key, in the caller's transaction, in
    key order). Plain rows to the driver: a bulk load or a big catch-up moves thousands of
    keys, and on PostgreSQL one statement over arrays instead of a statement per key."""
    if not change:
        return
    rows = [(*key, n) for key, n in sorted(change.items())]
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            _POSTGRESQL_UPSERT, tuple(list(column) for column in zip(*rows, strict=True))
        )
    else:
        conn.exec_driver_sql(_SQLITE_UPSERT, rows)


_SUM = "CAST(sum(n) AS BIGINT)"
"""A rollups' sum as an integer: PostgreSQL's ``sum`` of a ``bigint`` is a ``numeric``,
which the driver hands over as a ``Decimal`` (slower to make, and to add up)."""


def daily(session: Reader, counts: Counts, first: int, last: int) -> None:
    """Fill ``counts``' day-keyed figures for days ``first`` to ``last`` from the rollups
    (summed by the database: a few rows per day, and one per value for the breakdowns), in
    one statement: the day counts and the breakdowns' as two parts of a ``UNION ALL``."""
    in_range = f"period >= {int(first)} AND period <= {int(last)}"
    for by_day, measure, day, agent, value, a, b, c, n in (
        connection_of(session)
        .exec_driver_sql(
            f"SELECT 1, measure, period, agent, value, '', '', '', {_SUM} FROM report_rollup "
            f"WHERE measure IN ({_listed(DAILY)}) AND {in_range} "
            "GROUP BY measure, period, agent, value UNION ALL "
            f"SELECT 0, measure, 0, 0, 0, a, b, c, {_SUM} FROM report_rollup "
            f"WHERE measure IN ({_listed((CREATED, RESOLVED))}) AND {in_range} "
            "GROUP BY measure, a, b, c"
        )
        .all()
    ):
        if not n:
            continue
        if not by_day:
            target = counts.created_values if measure == CREATED else counts.resolved_values
            _add(target, (a or "—", b, c), n)
        elif measure == CREATED:
            _add(counts.created_days, day, n)
        elif measure == RESOLVED_FLAGS:
            reopened, met = divmod(value, 3)
            _add(counts.resolved_days, (day, reopened, _unmet(met - 1)), n)
        elif measure == RESPONSE_MET:
            _add(counts.response_met, _unmet(value), n)
        elif measure == RATING:
            _add(counts.rating_days, (day, value), n)
            _add(counts.rating_agents, (agent or None, value), n)
        elif measure == REPLY:
            _add(counts.replies, agent, n)


def _listed(measures: Iterable[str]) -> str:
    """Measure names (this module's constants and :class:`reports.Kind`'s values, never
    anyone's text) as SQL string literals."""
    return ", ".join(f"'{measure}'" for measure in measures)


def durations(session: Reader, counts: Counts, first: int, last: int) -> DayRanges:
    """Fill ``counts``' duration histograms for days ``first`` to ``last``: whole months from
    the rollups, a month the range cuts from ``report_ticket`` — unless that month has
    nothing outside the range (the first and last month of a desk's whole history), or has
    fewer days outside it than inside: then its rollups minus the rows of the days outside
    (``report_ticket``'s duration indexes are day first, so a read costs its days' rows).

    Two statements whatever the range: which days outside have rows (every histogram's day
    column and cut month at once; with it, for :func:`inside`, the first and last days of
    the range that have rows, which this returns), then every histogram's rows and rollups
    as the parts of one ``UNION ALL`` (of at most :data:`UNION_PARTS` parts) — on PostgreSQL
    each statement is a round trip and a plan. Both are SQL text made here, as are
    :func:`daily`'s and :func:`inside`'s: every value in them is an integer of the desk's
    own (days, months) or a measure's name, written in as such. Built and compiled as
    SQLAlchemy constructs, in a process that runs one report, they cost ≈ 5 ms of CPU (the
    parts of the union ≈ 2)."""
    targets: dict[Kind, dict[Any, int]] = {
        Kind.RESOLUTION: counts.resolutions,
        Kind.RESPONSE: counts.responses,
        Kind.RESOLUTION_BUSINESS: counts.resolutions_business,
        Kind.RESPONSE_BUSINESS: counts.responses_business,
    }
    months = range(month_of(first), month_of(last) + 1)
    cuts = {month: _outside(month, first, last) for month in months}
    found, have = _ends(
        session,
        sorted(
            {
                (day_column, a, b)
                for day_column, _, _ in _COLUMNS.values()
                for outside in cuts.values()
                for a, b in outside
            }
        ),
        first,
        last,
    )
    conn = connection_of(session)
    bucketed = conn.dialect.name == "postgresql"  # (the rows' minutes bucketed by the server)
    parts: list[tuple[Kind, int, bool, str]] = []  # (histogram, sign, rollups?, SELECT … part)
    for kind, (day_column, _, _) in _COLUMNS.items():
        whole: list[int] = []
        for month in months:
            start, end = month_days(month)
            inside = (max(start, first), min(end, last))
            outside = [(a, b) for a, b in cuts[month] if found[day_column, a, b]]
            if sum(b - a + 1 for a, b in outside) < inside[1] - inside[0] + 1:
                whole.append(month)
                for days in outside:
                    parts.append((kind, -1, False, _rows(kind, days, len(parts), bucketed)))
            else:
                parts.append((kind, 1, False, _rows(kind, inside, len(parts), bucketed)))
        if whole:
            parts.append((kind, 1, True, _rolled_up(kind, whole[0], whole[-1], len(parts))))
    found_rows: list[list[tuple[Any, int, int]]] = [[] for _ in parts]
    for start in range(0, len(parts), UNION_PARTS):
        statement = " UNION ALL ".join(part for *_, part in parts[start : start + UNION_PARTS])
        for agent_id, value, n, index in conn.exec_driver_sql(statement).all():
            found_rows[index].append((agent_id, value, int(n)))
    for (kind, sign, from_rollups, _), rows in zip(parts, found_rows, strict=True):
        target = targets[kind]
        has_agent = _COLUMNS[kind][2] is not None
        for agent_id, value, n in rows:
            if from_rollups:
                if n:
                    _add(target, (agent_id or None, value) if has_agent else value, n)
            else:
                bucket = value if bucketed else bucket_of(value)
                _add(target, (agent_id, bucket) if has_agent else bucket, sign * n)
    for target in targets.values():
        for key in [key for key, n in target.items() if not n]:
            del target[key]  # (a bucket the days outside emptied)
    return have


def _outside(month: int, first: int, last: int) -> list[tuple[int, int]]:
    """The days (first, last) of ``month`` before and after the range ``first`` to ``last``."""
    start, end = month_days(month)
    return [(a, b) for a, b in ((start, first - 1), (last + 1, end)) if a <= b]


def _rows(kind: Kind, days: tuple[int, int], part: int, bucketed: bool) -> str:
    """One histogram's ``report_ticket`` rows of ``days`` (first, last), counted by agent
    (NULL where the histogram has none) and minutes — or, ``bucketed`` (PostgreSQL), by
    :func:`reports.bucket_of` of the minutes, which ``width_bucket`` over
    :data:`reports.BUCKET_EDGES` is (a few hundred rows instead of thousands to send and
    fetch) — with the ``part`` number. The days are listed: each is a seek into the
    histogram's own (day, minutes[, agent]) index, which covers the read; given a range of
    days, SQLite's planner picks among the day-first indexes by sampled statistics, and
    took one that does not cover it (three times the time at 1M)."""
    day, minutes, agent = _COLUMNS[kind]
    listed = ", ".join(str(int(d)) for d in range(days[0], days[1] + 1))
    value = f"width_bucket({minutes}, {_EDGES}) - 1" if bucketed else minutes
    by = f"{agent}, {value}" if agent is not None else value
    return (
        f"SELECT {agent or 'NULL'}, {value}, count(*), {int(part)} FROM report_ticket "
        f"WHERE {day} IN ({listed}) AND {minutes} IS NOT NULL GROUP BY {by}"
    )


_EDGES = "'{" + ",".join(str(int(edge)) for edge in BUCKET_EDGES) + "}'::int[]"
"""The bucket edges as a PostgreSQL array: ``width_bucket(m, edges) - 1`` is
``bisect_right(edges, m) - 1``, :func:`reports.bucket_of`."""


def _rolled_up(kind: Kind, first_month: int, last_month: int, part: int) -> str:
    """One histogram's rollups of months ``first_month`` to ``last_month``, by agent and
    bucket, with the ``part`` number."""
    return (
        f"SELECT agent, value, {_SUM}, {int(part)} FROM report_rollup "
        f"WHERE measure = {_listed((kind.value,))} "
        f"AND period >= {int(first_month)} AND period <= {int(last_month)} "
        "GROUP BY agent, value"
    )


DayRanges = dict[str, range]
"""Per day column of the histograms, the days of a report's range that have rows (from the
first to the last such day; empty if none)."""

_DAY_COLUMNS = sorted({day for day, _, _ in _COLUMNS.values()})


def _ends(
    session: Reader, ranges: Sequence[tuple[str, int, int]], first: int, last: int
) -> tuple[dict[tuple[str, int, int], bool], DayRanges]:
    """Whether ``report_ticket`` has a row with its day column between each (day column,
    first, last) of ``ranges``, and for each histogram's day column the days ``first`` to
    ``last`` narrowed to the first and last that have a row (a report over years of which
    the desk has months seeks only those months' days). One statement of scalar subqueries,
    each one index seek on both engines: a range's first row in the day column's order,
    and a column's ``min`` and ``max`` in the range (SQLite reads a whole range for ``min``
    and ``max`` side by side). (As ``EXISTS``, PostgreSQL priced a sequential scan that
    stops at the first match as cheaper for a range of a few recent days, whose rows lie
    at the table's end: 4.5-5.2 ms at 100k tickets, scanning 50,000 rows, where the index
    finds it at once.)"""
    seeks = [
        f"(SELECT {day} FROM report_ticket WHERE {day} >= {a:d} AND {day} <= {b:d}"
        f" ORDER BY {day} LIMIT 1) IS NOT NULL"
        for day, a, b in ranges
    ]
    for day in _DAY_COLUMNS:
        in_range = f"FROM report_ticket WHERE {day} >= {int(first)} AND {day} <= {int(last)}"
        seeks.append(f"(SELECT min({day}) {in_range})")
        seeks.append(f"(SELECT max({day}) {in_range})")
    row = connection_of(session).exec_driver_sql("SELECT " + ", ".join(seeks)).one()
    found = {key: bool(value) for key, value in zip(ranges, row, strict=False)}
    ends = row[len(ranges) :]
    days = {
        day: range(0) if low is None else range(int(low), int(high) + 1)
        for day, low, high in zip(_DAY_COLUMNS, ends[::2], ends[1::2], strict=True)
    }
    return found, days


UNION_PARTS = 200
"""Buckets read per statement (SQLite allows 500 parts in a compound SELECT): a part per
histogram and bucket, whoever asks for it, so one statement whatever the agents."""


def inside(session: Reader, days: DayRanges) -> Inside:
    """:data:`reports.Inside` reading ``report_ticket`` in one statement: per duration bucket
    asked (for everyone, or for agents), its minutes counted through the histogram's
    day-first index (``QUANTILE_INDEXES``) by one seek per day of the range that the desk
    has (``days``, from :func:`durations`), by agent where the histogram has one —
    everyone's and each agent's quantiles in the same bucket read once, as the agents'
    medians mostly are — and all buckets' counts joined by ``UNION ALL`` (one round trip on
    PostgreSQL instead of one per quantile). Every value in it is an integer of the desk's
    own (days, bucket edges, agent ids), written into the SQL as such."""

    def minutes_in(wanted: Collection[Bucket]) -> dict[Bucket, dict[int, int]]:
        found: dict[Bucket, dict[int, int]] = {key: {} for key in wanted}
        who: dict[tuple[Kind, int], set[int | None]] = {}
        for kind, agent, bucket in wanted:
            who.setdefault((kind, bucket), set()).add(agent)
        asked = sorted(who, key=lambda key: (key[0].value, key[1]))
        parts = [
            _bucket_counts(index, kind, bucket, who[kind, bucket], days[_COLUMNS[kind][0]])
            for index, (kind, bucket) in enumerate(asked)
            if days[_COLUMNS[kind][0]]
        ]
        for start in range(0, len(parts), UNION_PARTS):
            statement = " UNION ALL ".join(parts[start : start + UNION_PARTS])
            for index, agent, minutes, n in connection_of(session).exec_driver_sql(statement):
                kind, bucket = asked[index]
                for key in {(kind, None, bucket), (kind, agent, bucket)}:
                    if key in found:
                        _add(found[key], minutes, int(n))
        return found

    return minutes_in


def _bucket_counts(
    index: int, kind: Kind, bucket: int, agents: set[int | None], days: range
) -> str:
    """One bucket's ``SELECT index, agent, minutes, count`` (see :func:`inside`): the days
    listed, so that each is a seek to the bucket's lower edge in a (day, minutes[, agent])
    index, counted by day, minutes and agent in the index's order and then summed (a sort
    of a row per day, minute and agent, not of every ticket in the bucket). Only the
    ``agents`` asked, unless everyone is (``None``); agent 0 where the histogram has none."""
    day, minutes, agent_column = _COLUMNS[kind]
    lower, upper = bucket_range(bucket)
    listed = ", ".join(str(int(d)) for d in days)
    where = [f"{day} IN ({listed})", f"{minutes} >= {int(lower)}"]
    if upper is not None:
        where.append(f"{minutes} < {int(upper)}")
    by = [day, minutes]
    if agent_column is not None:
        by.append(agent_column)
        if None not in agents:
            ids = ", ".join(str(int(a)) for a in sorted(a for a in agents if a is not None))
            where.append(f"{agent_column} IN ({ids})")
    by_day = (
        f"SELECT {agent_column or 0} AS agent, {minutes} AS minutes, count(*) AS n "
        f"FROM report_ticket WHERE {' AND '.join(where)} GROUP BY {', '.join(by)}"
    )
    return (
        f"SELECT {int(index)}, agent, minutes, {_SUM} FROM ({by_day}) AS b GROUP BY agent, minutes"
    )


def _add(target: dict[Any, int], key: Any, n: int) -> None:
    target[key] = target.get(key, 0) + n
