"""The report's rules: what each figure means, computed once for the screen and the CLI.

Two halves, both pure (no database):

* :func:`report_figures.ticket_figures` (a module of its own: only the catch-up's replay and
  the demo loader need it) reads one ticket's event history — the events recorded under its
  number, wherever a merge moved them — and says when it was first answered and by whom,
  when it was finally resolved and who handled it then, how often it was reopened, whether
  its due times were met, and its satisfaction rating. Reassignment, reopening and merges
  count as the history says, not as the ticket row says now.
* :func:`build_result` turns the grouped counts the report service reads from those figures
  into a :class:`ReportResult`; :func:`result_table` lays any part of it out as rows, and is
  what the screen's tables, the CLI's table, CSV and JSON all print.

Durations are minutes, exact for the first hour and rounded down beyond it
(:func:`duration_step`), wall-clock and in business hours of the ticket's SLA calendar;
quantiles are nearest-rank (the median of 1, 2, 3, 4 minutes is 2, the p90 of ten values is
the ninth). They are counted per bucket of about 10% (:func:`bucket_of`) and made exact by
reading the minutes inside the one bucket that holds the rank (:func:`bucket_quantile`), so
a report from the rollups gives the same medians as one from the ticket rows. Days are whole
UTC days since 1970-01-01; weeks start on Monday.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from helpdesk_tui.storage.enums import Status

EPOCH = date(1970, 1, 1)
DONE = frozenset({Status.RESOLVED.value, Status.CLOSED.value})
UNDONE = 2
"""The "reopened" value of a day count (``Counts.resolved_days``) of tickets resolved that
day and reopened since, open again now (0: never reopened, 1: reopened before)."""
POSITIVE_RATING = 4
"""Ratings at or above this count as satisfied (the "CSAT %" share)."""


class Grouping(StrEnum):
    """What the rows of the main table are (``helpdesk report --group-by``)."""

    DAY = "day"
    WEEK = "week"
    AGENT = "agent"
    CATEGORY = "category"
    CHANNEL = "channel"
    TYPE = "type"


def day_number(moment: datetime) -> int:
    return (moment.astimezone(UTC).date() - EPOCH).days


def day_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


def week_start(day: int) -> int:
    """The Monday on or before ``day`` (day 4, 1970-01-05, was a Monday)."""
    return day - (day - 4) % 7


def month_of(day: int) -> int:
    """The month a day is in, as ``year * 12 + month - 1`` (the histograms' period)."""
    moment = day_date(day)
    return moment.year * 12 + moment.month - 1


def month_days(month: int) -> tuple[int, int]:
    """The first and last day of a month (see :func:`month_of`)."""
    year, index = divmod(month, 12)
    first = date(year, index + 1, 1)
    following = date(year + (index + 1) // 12, (index + 1) % 12 + 1, 1)
    return (first - EPOCH).days, (following - EPOCH).days - 1


# ---------------------------------------------------------------------------------------
# The SLA source of the backlog: whether an open ticket's running deadline has passed (a
# ticket's due times met or missed are ``report_figures.sla_met``).


def sla_overdue(due: str, now: str) -> str:
    """1 where an open ticket's running deadline has passed: SQL over the column ``due`` and
    the bound parameter ``now``."""
    return f"CASE WHEN {due} < :{now} THEN 1 ELSE 0 END"


# ---------------------------------------------------------------------------------------
# The question and the answer. The answer's records are named tuples, not frozen
# dataclasses: a frozen dataclass's methods are compiled from source when its class is made
# (≈ 0.45 ms each, ≈ 0.07 for a named tuple), and every `helpdesk report` imports this.
# The question stays a dataclass (the screen makes new ones by `dataclasses.replace`), and
# so do the records with a `count` (a tuple's method).


@dataclass(frozen=True)
class ReportQuery:
    """A time range (both days included, UTC) and filters; None means any."""

    start: date
    end: date
    team: str | None = None
    agent: str | None = None
    channel: str | None = None
    category: str | None = None
    type: str | None = None
    priority: str | None = None
    group_by: Grouping = Grouping.DAY


@dataclass(frozen=True)
class Durations:
    count: int
    median: int | None
    p90: int | None


class PeriodRow(NamedTuple):
    start: date
    created: int
    resolved: int
    ratings: int
    satisfaction: float | None


class AgentRow(NamedTuple):
    login: str
    handled: int
    replies: int
    response_median: int | None
    resolution_median: int | None
    ratings: int
    satisfaction: float | None


class BreakdownRow(NamedTuple):
    value: str
    created: int
    resolved: int


@dataclass(frozen=True)
class BacklogRow:
    status: str
    priority: str
    count: int
    overdue: int = 0
    """Of ``count``, the tickets past their running SLA deadline now (``sla_overdue``)."""


class ReportResult(NamedTuple):
    """Every figure of one report; the screen and the CLI print parts of this, nothing else."""

    query: ReportQuery
    created: int
    resolved: int
    first_response: Durations
    resolution: Durations
    first_response_business: Durations
    """The same in business minutes of each ticket's SLA calendar (nights, weekends and
    holidays left out); the plain ones are wall-clock minutes."""
    resolution_business: Durations
    response_bands: tuple[int, ...]
    """First responses per band of :data:`BANDS`."""
    resolution_bands: tuple[int, ...]
    sla_met: int
    sla_due: int
    reopened: int
    """Tickets resolved in the range (their last resolution in it) that were reopened: the
    ones resolved now after a reopening, and the ones reopened since (``undone``)."""
    backlog: tuple[BacklogRow, ...]
    overdue: int
    ratings: int
    satisfaction: float | None
    satisfied: int
    periods: tuple[PeriodRow, ...]
    agents: tuple[AgentRow, ...]
    by_category: tuple[BreakdownRow, ...]
    by_channel: tuple[BreakdownRow, ...]
    by_type: tuple[BreakdownRow, ...]
    undone: int = 0
    """Tickets resolved in the range and reopened since, open again now: counted in
    ``reopened`` (and the reopen rate), not in ``resolved``."""

    @property
    def backlog_total(self) -> int:
        return sum(row.count for row in self.backlog)

    @property
    def sla_compliance(self) -> float | None:
        return share(self.sla_met, self.sla_due)

    @property
    def overdue_share(self) -> float | None:
        return share(self.overdue, self.backlog_total)

    @property
    def reopen_rate(self) -> float | None:
        """Of the tickets resolved in the range, the share reopened: a ticket counts in the
        range of its last resolution, reopened as soon as a reopening undoes it (it needs
        no second resolution to show)."""
        return share(self.reopened, self.resolved + self.undone)

    @property
    def satisfied_share(self) -> float | None:
        return share(self.satisfied, self.ratings)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def quantile(histogram: Mapping[int, int], q: float) -> int | None:
    """Nearest-rank quantile of values given as ``{value: how many}``."""
    total = sum(histogram.values())
    if not total:
        return None
    return _ranked(histogram, max(1, math.ceil(q * total)))


def _ranked(histogram: Mapping[int, int], rank: int) -> int:
    """The value at ``rank`` (1: the smallest) of values given as ``{value: how many}``."""
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("a rank beyond the values' count (a bucket's minutes disagree with it)")


class Kind(StrEnum):
    """The four duration histograms a report reads."""

    RESPONSE = "response"
    RESOLUTION = "resolution"
    RESPONSE_BUSINESS = "response_b"
    RESOLUTION_BUSINESS = "resolution_b"


def _bucket_edges() -> tuple[int, ...]:
    edges = set(range(11)) | {upper for _, upper in BANDS[:-1]}
    edge = 10.0
    while edge < 10 * 366 * 24 * 60:
        edge *= 1.1
        edges.add(int(edge))
    return tuple(sorted(edges))


def bucket_of(minutes: int) -> int:
    """The histogram bucket of a duration: the minutes themselves below 11, then steps of
    about 10% (the response-time chart's band edges are bucket edges too)."""
    return bisect_right(BUCKET_EDGES, minutes) - 1


def bucket_range(bucket: int) -> tuple[int, int | None]:
    """The minutes a bucket holds: ``lower <= minutes < upper`` (no upper for the last)."""
    upper = BUCKET_EDGES[bucket + 1] if bucket + 1 < len(BUCKET_EDGES) else None
    return BUCKET_EDGES[bucket], upper


Bucket = tuple[Kind, int | None, int]
"""``(kind, agent or None for everyone, bucket)``: one bucket of one duration histogram."""
Inside = Callable[[Collection[Bucket]], Mapping[Bucket, Mapping[int, int]]]
"""Every bucket a report's quantiles need → ``{minutes: how many}`` inside each: all of
them asked at once, so a report reads them in one statement, not one per quantile."""


def _rank_bucket(buckets: Mapping[int, int], q: float) -> tuple[int, int] | None:
    """The bucket holding the nearest-rank quantile ``q`` of durations counted per bucket,
    and the rank's place inside it (1 for its shortest duration)."""
    total = sum(buckets.values())
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket in sorted(buckets):
        if seen + buckets[bucket] >= rank:
            return bucket, rank - seen
        seen += buckets[bucket]
    raise AssertionError("unreachable: the ranks add up to the total")


def quantile_bucket(buckets: Mapping[int, int], q: float) -> int | None:
    """The bucket whose exact minutes :func:`bucket_quantile` reads for ``q``."""
    found = _rank_bucket(buckets, q)
    return found[0] if found is not None else None


def bucket_quantile(
    buckets: Mapping[int, int], q: float, inside: Callable[[int], Mapping[int, int]]
) -> int | None:
    """Nearest-rank quantile of durations given as counts per bucket: the bucket holding the
    rank is found from the counts, then ``inside(bucket)`` gives that bucket's exact minutes
    — so the answer is :func:`quantile` of the exact minutes, reading one bucket of them."""
    found = _rank_bucket(buckets, q)
    if found is None:
        return None
    bucket, rank = found
    return _ranked(inside(bucket), rank)


def bucketed(exact: Mapping[tuple[int | None, int], int]) -> dict[tuple[int | None, int], int]:
    """``{(agent, minutes): n}`` → ``{(agent, bucket): n}``."""
    result: dict[tuple[int | None, int], int] = {}
    for (agent, minutes), n in exact.items():
        _add(result, (agent, bucket_of(minutes)), n)
    return result


def exact_inside(exact: Mapping[Kind, Mapping[tuple[int | None, int], int]]) -> Inside:
    """:data:`Inside` over exact ``{(agent, minutes): n}`` histograms held in memory."""

    def inside(wanted: Collection[Bucket]) -> dict[Bucket, dict[int, int]]:
        found: dict[Bucket, dict[int, int]] = {key: {} for key in wanted}
        for kind, agent, bucket in wanted:
            for (who, minutes), n in exact.get(kind, {}).items():
                if (agent is None or who == agent) and bucket_of(minutes) == bucket:
                    _add(found[kind, agent, bucket], minutes, n)
        return found

    return inside


def _no_minutes(wanted: Collection[Bucket]) -> Mapping[Bucket, Mapping[int, int]]:
    raise AssertionError("Counts.inside was not given")


# ---------------------------------------------------------------------------------------
# From grouped counts to the result. The service reads these with GROUP BY queries whose
# answers stay small however many tickets there are (days, agents by minutes, values).


class Counts:
    """Grouped counts over the report tables (or their rollups), keyed as the service's
    queries group them; durations are counted per bucket (:func:`bucket_of`) and
    ``inside`` reads the exact minutes of the buckets the quantiles need. A plain class:
    a dataclass's methods are compiled from source at every import (≈ 0.6 ms for this
    one), and nothing compares or prints a ``Counts``."""

    def __init__(self) -> None:
        self.created_days: dict[int, int] = {}
        self.created_values: dict[tuple[str, str, str], int] = {}
        """(category, channel, type) → tickets created."""
        self.resolved_days: dict[tuple[int, int, int | None], int] = {}
        """(day, reopened 0/1, resolution due time met 1/0/None) → tickets resolved; reopened
        :data:`UNDONE` (met None): resolved that day, reopened since, open again now."""
        self.resolved_values: dict[tuple[str, str, str], int] = {}
        self.resolutions: dict[tuple[int | None, int], int] = {}
        """(handler, bucket) → tickets resolved."""
        self.responses: dict[tuple[int | None, int], int] = {}
        """(responder, bucket) → first responses."""
        self.response_met: dict[int | None, int] = {}
        """response due time met (1/0/None) → first responses."""
        self.resolutions_business: dict[int, int] = {}
        """bucket of business minutes → tickets resolved."""
        self.responses_business: dict[int, int] = {}
        self.rating_days: dict[tuple[int, int], int] = {}
        self.rating_agents: dict[tuple[int | None, int], int] = {}
        self.replies: dict[int, int] = {}
        """agent → replies."""
        self.backlog: dict[tuple[str, str, int], int] = {}
        """(status, priority, overdue 0/1) → open tickets."""
        self.inside: Inside = _no_minutes


def duration_step(minutes: int) -> int:
    """Minutes as the report tables keep them: exact for the first hour, then rounded down
    to 5 minutes up to a day, to the hour up to 30 days, to the day beyond (so the
    quantiles read a few hundred distinct values, not one per ticket)."""
    if minutes < 60:
        return minutes
    if minutes < 24 * 60:
        return minutes - minutes % 5
    if minutes < 30 * 24 * 60:
        return minutes - minutes % 60
    return minutes - minutes % (24 * 60)


BANDS: tuple[tuple[str, int], ...] = (
    ("< 1h", 60),
    ("1-4h", 4 * 60),
    ("4-24h", 24 * 60),
    ("1-3d", 3 * 24 * 60),
    ("3-7d", 7 * 24 * 60),
    ("> 7d", 2**62),
)
"""The bands of the response-time chart (upper bounds, exclusive)."""


BUCKET_EDGES = _bucket_edges()


def _bands(buckets: Mapping[int, int]) -> tuple[int, ...]:
    counts = [0] * len(BANDS)
    for bucket, n in buckets.items():
        lower = BUCKET_EDGES[bucket]
        index = next(i for i, (_, upper) in enumerate(BANDS) if lower < upper)
        counts[index] += n
    return tuple(counts)


Quantile = Callable[[Kind, int | None, float], int | None]
"""``(kind, agent or None for everyone, q)`` → that histogram's quantile ``q``."""


def _quantiles(
    everyone: Mapping[Kind, Mapping[int, int]],
    agents: Mapping[Kind, Mapping[int, Mapping[int, int]]],
    inside: Inside,
) -> Quantile:
    """The quantiles a report shows — everyone's median and p90 of each kind, each agent's
    median response and resolution — with the exact minutes of every bucket they need
    read by one call of ``inside``."""
    histograms: dict[tuple[Kind, int | None], Mapping[int, int]] = {
        (kind, None): buckets for kind, buckets in everyone.items()
    }
    for kind, by_agent in agents.items():
        histograms.update(((kind, agent), buckets) for agent, buckets in by_agent.items())
    asked: list[tuple[Kind, int | None, float]] = [
        (kind, None, q) for kind in everyone for q in (0.5, 0.9)
    ]
    asked += [(kind, agent, 0.5) for kind, by_agent in agents.items() for agent in by_agent]
    wanted: set[Bucket] = set()
    for kind, agent, q in asked:
        bucket = quantile_bucket(histograms[kind, agent], q)
        if bucket is not None:
            wanted.add((kind, agent, bucket))
    minutes = inside(wanted) if wanted else {}

    def quantile(kind: Kind, agent: int | None, q: float) -> int | None:
        return bucket_quantile(
            histograms.get((kind, agent), {}), q, lambda bucket: minutes[kind, agent, bucket]
        )

    return quantile


def _durations(buckets: Mapping[int, int], kind: Kind, quantile: Quantile) -> Durations:
    return Durations(sum(buckets.values()), quantile(kind, None, 0.5), quantile(kind, None, 0.9))


def _period(query: ReportQuery, day: int) -> int:
    return week_start(day) if query.group_by is Grouping.WEEK else day


def _periods(query: ReportQuery) -> list[int]:
    first, last = (d.toordinal() - EPOCH.toordinal() for d in (query.start, query.end))
    return sorted({_period(query, day) for day in range(first, last + 1)})


def _mean(histogram: Mapping[int, int]) -> float | None:
    total = sum(histogram.values())
    return sum(v * n for v, n in histogram.items()) / total if total else None


def _add(target: dict[Any, int], key: Any, n: int) -> None:
    target[key] = target.get(key, 0) + n


def _breakdowns(
    created: Mapping[tuple[str, str, str], int], resolved: Mapping[tuple[str, str, str], int]
) -> list[tuple[BreakdownRow, ...]]:
    result = []
    for index in range(3):
        made: dict[str, int] = {}
        done: dict[str, int] = {}
        for key, n in created.items():
            _add(made, key[index], n)
        for key, n in resolved.items():
            _add(done, key[index], n)
        values = sorted(set(made) | set(done), key=lambda v: (-made.get(v, 0), v))
        result.append(tuple(BreakdownRow(v, made.get(v, 0), done.get(v, 0)) for v in values))
    return result


def build_result(query: ReportQuery, counts: Counts, logins: Mapping[int, str]) -> ReportResult:
    """Every figure of the report from the grouped counts (``logins``: agent id → login)."""
    per_created: dict[int, int] = {}
    per_resolved: dict[int, int] = {}
    per_rating: dict[int, dict[int, int]] = {}
    for day, n in counts.created_days.items():
        _add(per_created, _period(query, day), n)
    reopened = sla_met_count = sla_due_count = undone = 0
    for (day, was_reopened, met), n in counts.resolved_days.items():
        if was_reopened == UNDONE:
            reopened += n
            undone += n
            continue
        _add(per_resolved, _period(query, day), n)
        reopened += n * was_reopened
        if met is not None:
            sla_due_count += n
            sla_met_count += n * met
    for met, n in counts.response_met.items():
        if met is not None:
            sla_due_count += n
            sla_met_count += n * met
    for (day, rating), n in counts.rating_days.items():
        _add(per_rating.setdefault(_period(query, day), {}), rating, n)

    resolution_all: dict[int, int] = {}
    response_all: dict[int, int] = {}
    rating_all: dict[int, int] = {}
    agent_handled: dict[int, int] = {}
    agent_resolution: dict[int, dict[int, int]] = {}
    agent_response: dict[int, dict[int, int]] = {}
    agent_rating: dict[int, dict[int, int]] = {}
    for (agent, bucket), n in counts.resolutions.items():
        _add(resolution_all, bucket, n)
        if agent is not None:
            _add(agent_handled, agent, n)
            _add(agent_resolution.setdefault(agent, {}), bucket, n)
    for (responder, bucket), n in counts.responses.items():
        _add(response_all, bucket, n)
        if responder is not None:
            _add(agent_response.setdefault(responder, {}), bucket, n)
    quantile = _quantiles(
        {
            Kind.RESPONSE: response_all,
            Kind.RESOLUTION: resolution_all,
            Kind.RESPONSE_BUSINESS: counts.responses_business,
            Kind.RESOLUTION_BUSINESS: counts.resolutions_business,
        },
        {Kind.RESPONSE: agent_response, Kind.RESOLUTION: agent_resolution},
        counts.inside,
    )
    for (agent, rating), n in counts.rating_agents.items():
        _add(rating_all, rating, n)
        if agent is not None:
            _add(agent_rating.setdefault(agent, {}), rating, n)

    periods = tuple(
        PeriodRow(
            start=day_date(p),
            created=per_created.get(p, 0),
            resolved=per_resolved.get(p, 0),
            ratings=sum(per_rating.get(p, {}).values()),
            satisfaction=_mean(per_rating.get(p, {})),
        )
        for p in _periods(query)
    )
    agent_ids = set(agent_handled) | set(agent_response) | set(agent_rating)
    agent_ids |= {a for a, n in counts.replies.items() if n}
    agents = sorted(
        (
            AgentRow(
                login=logins.get(agent, f"agent {agent}"),
                handled=agent_handled.get(agent, 0),
                replies=counts.replies.get(agent, 0),
                response_median=quantile(Kind.RESPONSE, agent, 0.5),
                resolution_median=quantile(Kind.RESOLUTION, agent, 0.5),
                ratings=sum(agent_rating.get(agent, {}).values()),
                satisfaction=_mean(agent_rating.get(agent, {})),
            )
            for agent in agent_ids
        ),
        key=lambda row: (-row.handled, row.login),
    )
    backlog: dict[tuple[str, str], int] = {}
    backlog_overdue: dict[tuple[str, str], int] = {}
    for (status, priority, is_overdue), n in counts.backlog.items():
        _add(backlog, (status, priority), n)
        _add(backlog_overdue, (status, priority), n * is_overdue)
    status_order = [s.value for s in Status]
    priority_order = ["urgent", "high", "normal", "low"]
    by_category, by_channel, by_type = _breakdowns(counts.created_values, counts.resolved_values)
    return ReportResult(
        query=query,
        created=sum(per_created.values()),
        resolved=sum(per_resolved.values()),
        first_response=_durations(response_all, Kind.RESPONSE, quantile),
        resolution=_durations(resolution_all, Kind.RESOLUTION, quantile),
        first_response_business=_durations(
            counts.responses_business, Kind.RESPONSE_BUSINESS, quantile
        ),
        resolution_business=_durations(
            counts.resolutions_business, Kind.RESOLUTION_BUSINESS, quantile
        ),
        response_bands=_bands(response_all),
        resolution_bands=_bands(resolution_all),
        sla_met=sla_met_count,
        sla_due=sla_due_count,
        reopened=reopened,
        undone=undone,
        backlog=tuple(
            BacklogRow(status, priority, n, backlog_overdue[(status, priority)])
            for (status, priority), n in sorted(
                backlog.items(),
                key=lambda item: (
                    _rank(status_order, item[0][0]),
                    _rank(priority_order, item[0][1]),
                ),
            )
        ),
        overdue=sum(backlog_overdue.values()),
        ratings=sum(rating_all.values()),
        satisfaction=_mean(rating_all),
        satisfied=sum(n for r, n in rating_all.items() if r >= POSITIVE_RATING),
        periods=periods,
        agents=tuple(agents),
        by_category=by_category,
        by_channel=by_channel,
        by_type=by_type,
    )


def _rank(order: Sequence[str], value: str) -> int:
    return order.index(value) if value in order else len(order)


# ---------------------------------------------------------------------------------------
# Tables: the one layout of every part of the result, for the screen, CSV, JSON and text.

Cell = str | int | float | None


class Table(NamedTuple):
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)


def summary_table(result: ReportResult) -> Table:
    rows: list[tuple[Cell, ...]] = [
        ("created", result.created),
        ("resolved", result.resolved),
        ("backlog", result.backlog_total),
        ("first response median (min)", result.first_response.median),
        ("first response p90 (min)", result.first_response.p90),
        ("resolution median (min)", result.resolution.median),
        ("resolution p90 (min)", result.resolution.p90),
        ("first response median (business min)", result.first_response_business.median),
        ("first response p90 (business min)", result.first_response_business.p90),
        ("resolution median (business min)", result.resolution_business.median),
        ("resolution p90 (business min)", result.resolution_business.p90),
        ("SLA compliance", _round(result.sla_compliance, 4)),
        ("overdue share", _round(result.overdue_share, 4)),
        ("reopen rate", _round(result.reopen_rate, 4)),
        ("satisfaction (1-5)", _round(result.satisfaction)),
        ("satisfied share", _round(result.satisfied_share, 4)),
        ("ratings", result.ratings),
    ]
    return Table("Summary", ("figure", "value"), tuple(rows))


def periods_table(result: ReportResult) -> Table:
    return Table(
        "Per " + ("week" if result.query.group_by is Grouping.WEEK else "day"),
        (
            "period",
            "created",
            "resolved",
            "ratings",
            "satisfaction",
        ),
        tuple(
            (
                p.start.isoformat(),
                p.created,
                p.resolved,
                p.ratings,
                _round(p.satisfaction),
            )
            for p in result.periods
        ),
    )


def agents_table(result: ReportResult) -> Table:
    return Table(
        "Per agent",
        (
            "agent",
            "handled",
            "replies",
            "1st reply med (min)",
            "resolve med (min)",
            "ratings",
            "CSAT",
        ),
        tuple(
            (
                a.login,
                a.handled,
                a.replies,
                a.response_median,
                a.resolution_median,
                a.ratings,
                _round(a.satisfaction),
            )
            for a in result.agents
        ),
    )


def breakdown_table(result: ReportResult, grouping: Grouping) -> Table:
    rows = {
        Grouping.CATEGORY: result.by_category,
        Grouping.CHANNEL: result.by_channel,
        Grouping.TYPE: result.by_type,
    }[grouping]
    return Table(
        f"By {grouping.value}",
        (grouping.value, "created", "resolved"),
        tuple((r.value, r.created, r.resolved) for r in rows),
    )


def times_table(result: ReportResult) -> Table:
    """The response-time chart's numbers: tickets per band of time taken."""
    return Table(
        "Response times",
        ("time taken", "first responses", "resolutions"),
        tuple(
            (label, response, resolution)
            for (label, _), response, resolution in zip(
                BANDS, result.response_bands, result.resolution_bands, strict=True
            )
        ),
    )


def backlog_table(result: ReportResult) -> Table:
    return Table(
        "Backlog",
        ("status", "priority", "tickets", "overdue"),
        tuple((b.status, b.priority, b.count, b.overdue) for b in result.backlog),
    )


def result_table(result: ReportResult, grouping: Grouping) -> Table:
    """The main table for ``--group-by`` (and the screen's table for the same choice)."""
    if grouping in (Grouping.DAY, Grouping.WEEK):
        return periods_table(result)
    if grouping is Grouping.AGENT:
        return agents_table(result)
    return breakdown_table(result, grouping)


def report_tables(result: ReportResult, grouping: Grouping) -> list[Table]:
    """Every table of a report, the ``grouping`` one second (the CLI's text and JSON)."""
    tables = [summary_table(result), result_table(result, grouping)]
    if grouping not in (Grouping.DAY, Grouping.WEEK):
        tables.append(periods_table(result))
    if grouping is not Grouping.AGENT:
        tables.append(agents_table(result))
    tables += [times_table(result), backlog_table(result)]
    tables += [breakdown_table(result, g) for g in BREAKDOWNS if g is not grouping]
    return tables


BREAKDOWNS = (Grouping.CATEGORY, Grouping.CHANNEL, Grouping.TYPE)


def format_minutes(minutes: int | None) -> str:
    """``95`` → ``1h 35m``; ``None`` → ``—`` (for people; tables keep minutes)."""
    if minutes is None:
        return "—"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


def format_share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
