"""The composer's repeated work on the facade: canned responses and macros.

Canned responses are shared (the whole desk's; supervisors and admins manage them) or
personal (their owner's alone: nobody else sees or changes them). Macros are the desk's,
managed by supervisors and admins, applied by any agent. Texts are rendered by the pure
functions of ``desk/canned.py``; macros are applied by ``desk/macros.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from helpdesk_tui.desk import macros
from helpdesk_tui.desk.canned import (
    PLACEHOLDERS,
    check_body,
    first_name,
    parse_name,
    render,
    requester_first_name,
)
from helpdesk_tui.desk.canned_reads import (
    CannedMatch,
    CannedReads,
    CannedView,
    MacroSpec,
    MacroView,
    canned_view,
    macro_view,
)
from helpdesk_tui.desk.errors import InvalidValue, NotFound, PermissionDenied
from helpdesk_tui.desk.tickets import NewAttachment, load_ticket, parse_number
from helpdesk_tui.desk.values import text_value
from helpdesk_tui.safe_text import clean
from helpdesk_tui.storage.canned_models import CannedResponse, Macro
from helpdesk_tui.storage.models import Agent, Contact, Role, Ticket

if TYPE_CHECKING:
    from helpdesk_tui.desk.batch import BatchResult, Target
    from helpdesk_tui.desk.ticket_row_value import TicketRow

__all__ = ["PLACEHOLDERS", "CannedMatch", "CannedService", "CannedView", "MacroSpec", "MacroView"]

MAX_CANNED_BODY = 64 * 1024
"""A canned text is a paragraph or a page; 64 KB is far more than either."""


@dataclass(frozen=True)
class MacroResult:
    number: int
    version: int
    """The ticket's version after the macro: every event of it carries this one."""
    changes: tuple[str, ...]
    draft_text: str = ""
    """The macro's text, rendered for the ticket, where it goes into the agent's draft
    (``macro_apply``'s ``draft_kind``) instead of the thread."""


def placeholder_values(
    session: Session, ticket: Ticket, agent_id: int | None, desk_name: str
) -> dict[str, str]:
    """What each placeholder stands for on ``ticket``, written by agent ``agent_id``;
    ``desk_name`` (the config's) only when the desk has no name of its own."""
    from helpdesk_tui.desk.settings import desk_name as named

    requester = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    agent = session.get(Agent, agent_id) if agent_id is not None else None
    requester_name = (requester.name or requester.email or "") if requester else ""
    requester_first = (
        requester_first_name(requester.name or "", requester.email or "") if requester else ""
    )
    agent_name = (agent.name or agent.login) if agent else ""
    return {
        "requester.name": requester_name,
        "requester.first_name": requester_first or requester_name,
        "requester.email": (requester.email or "") if requester else "",
        "ticket.number": str(ticket.number),
        "ticket.subject": ticket.subject,
        "ticket.status": ticket.status.replace("_", " "),
        "ticket.priority": ticket.priority,
        "agent.name": agent_name,
        "agent.first_name": first_name(agent_name),
        "agent.email": (agent.email or "") if agent else "",
        "desk.name": named(session, desk_name),
    }


class CannedService(CannedReads):
    """Canned responses (``canned_*``) and macros (``macro_*``); their reads: ``CannedReads``."""

    # -- canned responses ----------------------------------------------------------------

    def _may_manage(self, shared: bool) -> None:
        if shared and not self.actor.can(Role.SUPERVISOR):
            raise PermissionDenied(
                f"only a supervisor or an admin may manage shared canned responses; "
                f"{self.actor.name} is {self.actor.role} (personal ones are yours to manage)"
            )

    def canned_save(
        self, name: str, body: str, *, shared: bool = False, canned_id: int | None = None
    ) -> CannedView:
        """Create a response (``canned_id`` None) or change one's name and text.

        The text is checked first: a placeholder the desk does not know is refused, naming it.
        """
        name = parse_name(name)
        # Stored without escape sequences or control characters: it is shown in editors
        # and inserted into drafts as it is.
        body = clean(text_value(body, "canned text"))
        if not body.strip():
            raise InvalidValue("a canned response needs a text")
        if len(body.encode()) > MAX_CANNED_BODY:
            raise InvalidValue(f"a canned text is at most {MAX_CANNED_BODY // 1024} KB")
        check_body(body)
        with self._write() as session:
            if canned_id is None:
                self._may_manage(shared)
                row = CannedResponse(
                    name=name,
                    body=body,
                    owner_agent_id=None if shared else self.actor.agent_id,
                    updated_by=self.actor.name,
                )
            else:
                row = self._own_row(session, canned_id)
                row.name, row.body = name, body
                row.updated_by, row.updated_at = self.actor.name, self.clock()
            self._unique(session, row)
            session.add(row)
            session.flush()
            return canned_view(row)

    def _own_row(self, session: Session, canned_id: int) -> CannedResponse:
        owner = col(CannedResponse.owner_agent_id)
        row = session.exec(
            select(CannedResponse)
            .where(col(CannedResponse.id) == canned_id, self._visible(owner))
            .with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"no canned response {canned_id}")
        self._may_manage(row.owner_agent_id is None)
        return row

    def _unique(self, session: Session, row: CannedResponse) -> None:
        owner = col(CannedResponse.owner_agent_id)
        same = session.exec(
            select(CannedResponse.id, CannedResponse.name).where(
                owner.is_(None) if row.owner_agent_id is None else owner == row.owner_agent_id
            )
        ).all()
        for other_id, other_name in same:
            if other_id != row.id and other_name.casefold() == row.name.casefold():
                scope = "shared" if row.owner_agent_id is None else "personal"
                raise InvalidValue(f"there is a {scope} canned response {row.name!r} already")

    def canned_delete(self, canned_id: int) -> CannedView:
        with self._write() as session:
            row = self._own_row(session, canned_id)
            view = canned_view(row)
            session.delete(row)
            return view

    def canned_render(self, canned_id: int, number: int | str, *, desk_name: str) -> str:
        """The response's text for ticket ``number``, placeholders filled.

        An unknown placeholder raises :class:`helpdesk_tui.desk.canned.UnknownPlaceholder`
        (naming it) and nothing is rendered.
        """
        owner = col(CannedResponse.owner_agent_id)
        with self._read() as session:
            row = session.exec(
                select(CannedResponse).where(
                    col(CannedResponse.id) == canned_id, self._visible(owner)
                )
            ).first()
            if row is None:
                raise NotFound(f"no canned response {canned_id}")
            ticket = load_ticket(session, parse_number(number))
            values = placeholder_values(session, ticket, self.actor.agent_id, desk_name)
        return render(row.body, values)

    # -- macros --------------------------------------------------------------------------

    def macro_save(self, spec: MacroSpec, *, macro_id: int | None = None) -> MacroView:
        """Create a macro or replace one's definition (supervisors and admins)."""
        self.actor.require(Role.SUPERVISOR, "manage macros")
        with self._write() as session:
            spec = macros.checked(session, spec)
            if macro_id is None:
                row = Macro(name=spec.name, updated_by=self.actor.name)
            else:
                found = session.get(Macro, macro_id)
                if found is None:
                    raise NotFound(f"no macro {macro_id}")
                row = found
            clash = session.exec(select(Macro.id, Macro.name)).all()
            if any(i != row.id and n.casefold() == spec.name.casefold() for i, n in clash):
                raise InvalidValue(f"there is a macro {spec.name!r} already")
            row.name, row.body, row.body_kind = spec.name, spec.body, spec.body_kind
            row.status, row.priority = spec.status, spec.priority
            row.tags_add, row.tags_remove = " ".join(spec.tags_add), " ".join(spec.tags_remove)
            row.assignee, row.team = spec.assignee, spec.team
            row.updated_by, row.updated_at = self.actor.name, self.clock()
            session.add(row)
            session.flush()
            return macro_view(row)

    def macro_delete(self, name: str) -> MacroView:
        self.actor.require(Role.SUPERVISOR, "manage macros")
        view = self.macro_get(name)
        with self._write() as session:
            row = session.get(Macro, view.id)
            if row is not None:
                session.delete(row)
        return view

    def macro_apply(
        self,
        number: int | str,
        name: str,
        *,
        expected_version: int | None,
        desk_name: str,
        attachments: Sequence[NewAttachment] = (),
        draft_kind: str | None = None,
        bulk: MacroView | None = None,
    ) -> MacroResult:
        """Apply macro ``name`` to ticket ``number`` as one change, refused when the ticket
        is no longer at ``expected_version`` (what the agent saw).

        ``draft_kind``: the agent applies it from a composer of that kind ("reply", "note").
        A text of that kind is then not written to the thread beside the agent's draft (two
        replies, one of them half-written) but returned, rendered, for the draft: the fields
        change now, the text goes out with the draft. A text of the other kind is written
        as the macro says (a note, while a reply is being written).

        ``bulk``: the macro as the agent saw it when asked about many tickets at once
        (``tickets_macro``): checked again in this ticket's transaction, refused when it was
        deleted or changed since, or may not go in bulk (``MacroView.refusal_in_bulk``)."""
        view = bulk if bulk is not None else self.macro_get(name)
        number = parse_number(number)
        to_draft = bool(view.spec.body) and view.spec.body_kind == draft_kind
        with self._write() as session:
            if bulk is not None and (refusal := bulk.refusal_in_bulk(_macro_now(session, bulk))):
                raise InvalidValue(refusal)
            # Locked before anything of it is read: a plain read first would keep the
            # version seen then in the session, and the check would compare against that.
            ticket = load_ticket(session, number, for_update=True)
            values = placeholder_values(session, ticket, self.actor.agent_id, desk_name)
            ticket = macros.apply(
                session,
                self.actor,
                number,
                view.spec,
                expected_version=expected_version,
                values=values,
                attachments=attachments,
                text_to_draft=to_draft,
            )
            changes = tuple(view.changes())
            if not to_draft:
                return MacroResult(ticket.number, ticket.version, changes)
            text = render(view.spec.body, values)
            said = f"{view.spec.body_kind} text"
            changes = tuple(f"{said} into your draft" if c == said else c for c in changes)
            return MacroResult(ticket.number, ticket.version, changes, draft_text=text)

    def tickets_macro(
        self, targets: Iterable[Target], seen: MacroView, *, desk_name: str
    ) -> BatchResult:
        """Macro ``seen`` (as the agent saw it when asked) applied to each of several tickets
        (the queue's marked rows) by ``macro_apply``, each at the version the agent saw, in
        its own transaction; a refused ticket is named in the result, the others still
        change. A macro deleted or changed since the question, or one with a reply text
        (``MacroView.refusal_in_bulk``: no reply goes to a customer whose mail nobody read),
        is refused whole, before any ticket, in the result's one line; each apply checks it
        again."""
        from helpdesk_tui.desk.batch import BatchResult, change_all
        from helpdesk_tui.desk.ticket_rows import ticket_row

        with self._read() as session:
            refusal = seen.refusal_in_bulk(_macro_now(session, seen))
        if refusal:
            return BatchResult.nothing(refusal)

        def apply(number: int, version: int | None) -> TicketRow | None:
            self.macro_apply(
                number, seen.name, expected_version=version, desk_name=desk_name, bulk=seen
            )
            with self._read() as session:
                return ticket_row(session, number)

        return change_all(targets, apply)


def _macro_now(session: Session, seen: MacroView) -> MacroView | None:
    """The macro the agent saw, as it is now (by its id: a rename is a change); None once
    deleted."""
    row = session.get(Macro, seen.id)
    return macro_view(row) if row is not None else None
