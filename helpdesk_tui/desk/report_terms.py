"""What each figure of a report counts, in words: the one text of it.

The reports screen shows it (``d``: "What the figures count"), ``helpdesk report --help``
prints it, and README's "Reports and satisfaction" holds the same list (a test compares
them), so a supervisor reading a number can learn what it counts where they read it, and
the three cannot drift apart. Plain strings only: ``helpdesk report --help`` imports this.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One figure: ``label`` as the reports screen's strip says it, ``name`` as the
    Summary table of ``helpdesk report`` says it, ``means`` what it counts."""

    label: str
    name: str
    means: str


TERMS: tuple[Term, ...] = (
    Term("Created", "created", "Tickets created in the range (days in UTC, both ends included)."),
    Term(
        "Resolved",
        "resolved",
        "Tickets resolved in the range (the day of their last resolution) and resolved or "
        "closed still; a ticket merged into another is not counted.",
    ),
    Term(
        "Backlog",
        "backlog",
        "Tickets open now (not resolved, closed or merged), whatever the range; the "
        "Backlog tab splits them by status and priority, with how many of each are overdue.",
    ),
    Term(
        "1st resp",
        "first response",
        "Wall-clock time from a ticket's creation to its first agent reply, of the "
        "tickets first answered in the range: the median, and p90 (nine in ten were "
        "answered within it), by nearest rank. Times are exact for the first hour, then "
        "rounded down to 5 minutes (1h 29m 59s is 1h 25m), past a day to the hour, past "
        "30 days to the day.",
    ),
    Term(
        "Resolve",
        "resolution",
        "Wall-clock time from a ticket's creation to its last resolution, of the tickets "
        "resolved in the range: the median and p90, as for the first response.",
    ),
    Term(
        "Business hours",
        "business min",
        "The first response and resolution again in business minutes: only the working "
        "hours of the business calendar of each ticket's SLA policy count (the built-in "
        "one: Monday to Friday, 09:00-17:00 UTC); nights, weekends, holidays and closed "
        "days are left out, and so is the time the SLA clocks pause (waiting on the "
        "customer; resolved, before a reopening). Wall-clock time is the time that "
        "elapsed, business time is ours, as the SLA targets count it.",
    ),
    Term(
        "SLA",
        "SLA compliance",
        "Of the first responses and resolutions in the range that had an SLA due time, "
        "the share made by that time.",
    ),
    Term(
        "Overdue",
        "overdue share",
        "Of the backlog (the tickets open now), the share past their SLA due time now.",
    ),
    Term(
        "Reopen",
        "reopen rate",
        "Of the tickets resolved in the range (each counted on the day of its last "
        "resolution), the share that were reopened. A ticket reopened and open again "
        "counts at once, as resolved and reopened on the day of the resolution it undid; "
        "once resolved again, it counts on that later day.",
    ),
    Term(
        "CSAT",
        "satisfaction (1-5)",
        "The mean of the customers' ratings (1 to 5) given in the range; the agents' CSAT "
        "is the mean of the ratings of the tickets each handled (the assignee at the "
        "resolution, or who resolved it when nobody held it).",
    ),
    Term(
        "Satisfied",
        "satisfied share",
        "Of the ratings given in the range, the share of 4 or 5.",
    ),
)


def terms_text() -> str:
    """Every term as ``label (name): means``, one paragraph each (blank lines between),
    as ``helpdesk report --help`` prints them (click wraps each paragraph)."""
    return "\n\n".join(f"{t.label} ({t.name}): {t.means}" for t in TERMS)
