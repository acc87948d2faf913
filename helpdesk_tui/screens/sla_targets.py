"""An SLA policy's two targets, first response and resolution, edited by an admin (e in the
desk settings).

Enter saves through the desk's one policy writer (``Desk.sla_set_policy``, as ``helpdesk sla
policy set`` does: the open tickets' clocks are recomputed), with the policy's scope,
calendar, next-response target and warning as they were read, and only onto the policy as
it was read (``expected``). A value the desk refuses (a malformed duration, a target of
zero, a policy that is no longer there or was changed meanwhile) is said on the form's
error line in one line; the form stays open with what was typed.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.desk.sla_reads import SlaPolicyView
from helpdesk_tui.messages import WorkerFailed
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.widgets.key_footer import KeyFooter


class SlaTargetsScreen(ModalScreen[str | None]):
    """Dismisses with what the save did (``SlaSaved.lines``), or None (Escape)."""

    CSS_PATH = "sla_targets.tcss"
    HELP_TITLE = "SLA targets"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "save", "Save", id="targets.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="targets.cancel"),
    ]

    class Refused(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class Saved(Message):
        def __init__(self, said: str) -> None:
            super().__init__()
            self.said = said

    def __init__(self, policy: SlaPolicyView) -> None:
        super().__init__()
        self.policy = policy

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Targets of policy ", "bold")
            title.append_text(plain(self.policy.name, "bold"))
            yield Static(title, id="targets-title")
            yield Static(plain(self.policy.description), id="targets-policy")
            with Grid():
                yield Label("First response")
                yield Input(self.policy.first_response, id="targets-first")
                yield Label("Resolution")
                yield Input(self.policy.resolution, id="targets-resolve")
            yield Static(Text("Business time: 90m, 4h, 1h30m"), id="targets-hint")
            yield Static(id="targets-error")
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#targets-first", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        first = self.query_one("#targets-first", Input).value
        resolve = self.query_one("#targets-resolve", Input).value
        self.query_one("#targets-error", Static).update("")
        self.save(first, resolve)

    @work(thread=True, exclusive=True, group="targets-save", exit_on_error=False)
    def save(self, first: str, resolve: str) -> None:
        p = self.policy
        desk = desk_app(self).desk
        try:
            saved = desk.sla_set_policy(
                p.name,
                first_response=first,
                next_response=p.next_response,
                resolution=resolve,
                priority=p.priority,
                organization=p.organization,
                ticket_type=p.type,
                category=p.category,
                calendar=p.calendar,
                warn_percent=p.warn_percent,
                expected=p,  # (its scope, calendar or other targets changed meanwhile: refused)
            )
        except DeskError as error:
            self.post_message(self.Refused(str(error)))
            return
        self.post_message(self.Saved("\n".join(saved.lines("policy"))))

    def on_sla_targets_screen_refused(self, message: Refused) -> None:
        error = self.query_one("#targets-error", Static)
        error.update(Text(clean(message.reason, single_line=True)))

    def on_sla_targets_screen_saved(self, message: Saved) -> None:
        self.dismiss(message.said)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))
