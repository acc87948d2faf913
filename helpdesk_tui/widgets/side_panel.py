"""The ticket's fields beside the thread: requester, state, ownership, times, relations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from helpdesk_tui import timefmt
from helpdesk_tui.desk.sla import DEFAULT_WARN_PERCENT, DueLevel, due_level
from helpdesk_tui.desk.statuses import OPEN_STATUSES, words
from helpdesk_tui.desk.ticket_view import TicketView
from helpdesk_tui.safe_text import plain

if TYPE_CHECKING:
    from helpdesk_tui.desk.kb_service import KbResult

SUGGESTIONS_HINT = "i inserts one, I its link"


def _field(text: Text, label: str, value: Text | str | None) -> None:
    text.append(f"{label:<9}", "dim")
    if isinstance(value, Text):
        text.append_text(value)
    else:
        text.append(value or "—")
    text.append("\n")


def _reply_deadline(due: datetime, replied: datetime) -> str:
    """How the first-reply deadline was kept once the first reply went out."""
    return "met" if replied <= due else f"replied {timefmt.due(due, replied)}"


def _deadline(
    text: str, start: datetime, due: datetime, now: datetime, styles: dict[DueLevel, Style]
) -> Text:
    return Text(text, style=styles.get(due_level(start, due, now, DEFAULT_WARN_PERCENT), ""))


def due_styles(variables: dict[str, str]) -> dict[DueLevel, Style]:
    """Deadline colours from the theme: ok, warning, overdue."""
    return {
        DueLevel.OK: Style(color=variables.get("success")),
        DueLevel.WARNING: Style(color=variables.get("warning"), bold=True),
        DueLevel.OVERDUE: Style(color=variables.get("error"), bold=True),
    }


def render_fields(
    view: TicketView, now: datetime, styles: dict[DueLevel, Style] | None = None
) -> Text:
    styles = styles or {}
    row = view.row
    text = Text()
    requester = plain(row.requester_name or row.requester_email or "—")
    text.append_text(Text("Requester\n", "bold"))
    text.append_text(requester)
    if row.requester_email and row.requester_name:
        text.append("\n")
        text.append_text(plain(row.requester_email, "dim"))
    if view.requester_org:
        text.append("\n")
        text.append_text(plain(view.requester_org, "dim"))
    text.append("\n\n")
    _field(text, "Status", words(row.status))
    _field(text, "Priority", row.priority)
    _field(text, "Type", words(row.type))
    _field(text, "Category", plain(row.category) if row.category else None)
    _field(text, "Tags", plain(", ".join(view.tags)) if view.tags else None)
    _field(text, "Team", plain(row.team) if row.team else None)
    _field(text, "Assignee", plain(row.assignee) if row.assignee else "unassigned")
    _field(text, "Tier", str(row.tier))
    _field(text, "Created", timefmt.relative(row.created_at, now))
    _field(text, "Updated", timefmt.relative(row.updated_at, now))
    if row.status == "waiting":  # the clocks stand still while the customer has the ball
        _field(text, "SLA", Text("paused (waiting)", style="dim"))
    if row.reply_due_at is not None and row.status in OPEN_STATUSES:  # a reply is awaited
        start = row.reply_started_at or row.created_at
        due = row.reply_due_at
        _field(text, "Reply by", _deadline(timefmt.due(due, now), start, due, now, styles))
    elif row.response_due_at is not None and row.first_response_at is not None:
        _field(text, "Reply by", _reply_deadline(row.response_due_at, row.first_response_at))
    if row.resolution_due_at is not None and row.status in OPEN_STATUSES:
        solve = timefmt.due(row.resolution_due_at, now)
        _field(
            text, "Solve by", _deadline(solve, row.created_at, row.resolution_due_at, now, styles)
        )
    if view.rating is not None:
        _field(text, "Rating", f"{view.rating.score}/5 ({view.rating.by})")
    if view.merged_into is not None:
        _field(text, "Merged", f"into #{view.merged_into}")
    if view.links:
        links = ", ".join(f"{words(kind)} #{n}" for kind, n in view.links)
        _field(text, "Links", links)
    if view.other_tickets:
        text.append("\nTheir other tickets\n", "bold")
        for other in view.other_tickets:
            text.append(f"#{other.number} ", "bold")
            text.append(f"{other.status.replace('_', ' ')} ", "dim")
            text.append_text(plain(other.subject))
            text.append("\n")
    text.rstrip()
    return text


def render_suggestions(results: Sequence[KbResult]) -> Text:
    """The knowledge-base articles suggested for the ticket, best first, numbered."""
    text = Text()
    text.append("Suggested articles\n", "bold")
    if not results:
        text.append("none found", "dim")
        return text
    for index, result in enumerate(results, 1):
        text.append(f"{index} ", "bold")
        text.append_text(plain(result.article.title))
        if not result.article.is_public:
            text.append(
                " (internal)" if result.article.visibility == "internal" else " (draft)", "dim"
            )
        text.append("\n")
    text.append(SUGGESTIONS_HINT, "dim")
    return text


class SidePanel(VerticalScroll):
    DEFAULT_CSS = """
    SidePanel { width: 32; padding: 0 1; border-left: solid $panel; }
    SidePanel #side-kb { margin-top: 1; display: none; }
    """

    suggestions: tuple[KbResult, ...] = ()
    """What the panel lists under "Suggested articles", best first."""

    def compose(self) -> ComposeResult:
        yield Static(id="side-fields")
        yield Static(id="side-kb")

    def show(self, view: TicketView, now: datetime) -> None:
        styles = due_styles(dict(self.app.theme_variables))
        self.query_one("#side-fields", Static).update(render_fields(view, now, styles))

    def show_suggestions(self, results: Sequence[KbResult]) -> None:
        """List the articles suggested for this ticket (kept for the insert keys)."""
        self.suggestions = tuple(results)
        shown = self.query_one("#side-kb", Static)
        shown.update(render_suggestions(results))
        shown.display = bool(results)  # a desk without articles shows nothing here
