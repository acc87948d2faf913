"""Canned responses and macros as agents read them, on Core tables (``storage/core_tables``).

The one place they are listed and found by name: :class:`CannedReads` is the base of the
facade's ``CannedService`` (the composer's pickers, the manager screen) and alone is what
``helpdesk canned list/show`` and ``macro list/show`` hold, so those verbs import neither
the ORM nor SQLModel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, or_, select

from helpdesk_tui.desk.canned import parse_name, rank
from helpdesk_tui.desk.errors import NotFound
from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.storage.core_tables import CannedResponse, canned_response, macro

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped


@dataclass(frozen=True)
class MacroSpec:
    """What a macro does; every field optional but the name (validated by :func:`checked`)."""

    name: str
    body: str = ""
    body_kind: str = "reply"
    status: str | None = None
    priority: str | None = None
    tags_add: Sequence[str] = ()
    tags_remove: Sequence[str] = ()
    assignee: str | None = None
    team: str | None = None

    @property
    def does_nothing(self) -> bool:
        return not (
            self.body.strip()
            or self.status
            or self.priority
            or self.tags_add
            or self.tags_remove
            or self.assignee
            or self.team
        )


@dataclass(frozen=True)
class CannedView:
    id: int
    name: str
    body: str
    shared: bool
    """True: the desk's; False: the acting agent's own."""
    updated_by: str
    updated_at: datetime
    created_at: datetime | None = None
    """With ``id``, which response this is for a draft of it (``drafts.item_key``): a
    response made after a deleted one may get its id, not its creation time."""

    @property
    def draft_key(self) -> str | None:
        from helpdesk_tui.drafts import item_key

        return item_key(self.id, self.created_at) if self.created_at is not None else None

    @property
    def scope(self) -> str:
        return "shared" if self.shared else "personal"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "scope": self.scope,
            "body": self.body,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class CannedMatch:
    canned: CannedView
    score: float


@dataclass(frozen=True)
class MacroView:
    id: int
    spec: MacroSpec
    updated_by: str
    updated_at: datetime

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def bulk_refusal(self) -> str | None:
        """Why this macro may not be applied to many tickets at once, or None: one that
        changes fields, writes a note (internal, never mailed), or both goes in bulk. A reply
        text would go out to each customer unread, sent without its thread being read."""
        if not self.spec.body or self.spec.body_kind != "reply":
            return None
        return f"Macro {self.name} writes a reply: apply it on one ticket at a time"

    def refusal_in_bulk(self, current: MacroView | None) -> str | None:
        """Why this macro, as the agent saw it when asked about many tickets, may not be
        applied now that it is ``current`` (None: deleted): it was deleted or changed since
        (nothing of what the question said would be what is applied), or ``bulk_refusal``."""
        if current is None:
            return f"Macro {self.name} was deleted meanwhile: nothing applied"
        if current != self:
            return f"Macro {self.name} changed meanwhile: nothing applied"
        return current.bulk_refusal

    def changes(self) -> list[str]:
        """What the macro does, one short phrase each (``status → waiting``)."""
        spec = self.spec
        done = [f"{spec.body_kind} text"] if spec.body else []
        done += [f"status → {spec.status}"] if spec.status else []
        done += [f"priority → {spec.priority}"] if spec.priority else []
        done += [f"tag +{t}" for t in spec.tags_add] + [f"tag -{t}" for t in spec.tags_remove]
        done += [f"assignee → {spec.assignee}"] if spec.assignee else []
        done += [f"team → {spec.team}"] if spec.team else []
        return done

    def as_json(self) -> dict[str, object]:
        spec = self.spec
        return {
            "id": self.id,
            "name": spec.name,
            "body": spec.body,
            "body_kind": spec.body_kind,
            "status": spec.status,
            "priority": spec.priority,
            "tags_add": list(spec.tags_add),
            "tags_remove": list(spec.tags_remove),
            "assignee": spec.assignee,
            "team": spec.team,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat(),
        }


def canned_view(row: Any) -> CannedView:
    """A canned response's view, from its row (ORM or Core)."""
    assert row.id is not None
    return CannedView(
        id=row.id,
        name=row.name,
        body=row.body,
        shared=row.owner_agent_id is None,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        created_at=row.created_at,
    )


def macro_view(row: Any) -> MacroView:
    """A macro's view, from its row (ORM or Core)."""
    assert row.id is not None
    spec = MacroSpec(
        name=row.name,
        body=row.body,
        body_kind=row.body_kind,
        status=row.status,
        priority=row.priority,
        tags_add=tuple(row.tags_add.split()),
        tags_remove=tuple(row.tags_remove.split()),
        assignee=row.assignee,
        team=row.team,
    )
    return MacroView(id=row.id, spec=spec, updated_by=row.updated_by, updated_at=row.updated_at)


class CannedReads(DeskService):
    """Canned responses (the shared ones and the actor's own) and macros, read."""

    # -- canned responses ----------------------------------------------------------------

    def _visible(
        self, owner: ColumnElement[int | None] | Mapped[int | None]
    ) -> ColumnElement[bool]:
        """Shared rows and the actor's own (``owner``: the owner column, Core or ORM)."""
        return or_(owner.is_(None), owner == self.actor.agent_id)

    def canned_list(self) -> list[CannedView]:
        """The shared responses and the agent's own, by name (personal first on a tie)."""
        with self._read_rows() as conn:
            rows = conn.execute(
                select(canned_response).where(self._visible(CannedResponse.owner_agent_id))
            ).all()
        views = [canned_view(row) for row in rows]
        return sorted(views, key=lambda v: (v.name.casefold(), v.shared, v.id))

    def canned_get(self, name: str, *, shared: bool | None = None) -> CannedView:
        """One response by name: the agent's own before a shared one of the same name,
        unless ``shared`` says which."""
        wanted = parse_name(name)
        found = [
            v
            for v in self.canned_list()
            if v.name.casefold() == wanted.casefold() and (shared is None or v.shared == shared)
        ]
        if not found:
            raise NotFound(f"no canned response {wanted!r}; see: helpdesk canned list")
        return found[0]

    def canned_pick(self, query: str, *, limit: int = 20) -> list[CannedMatch]:
        """The responses that fit what the agent typed, best first (typos forgiven)."""
        ranked = rank(query, self.canned_list(), name=lambda v: v.name, body=lambda v: v.body)
        return [CannedMatch(r.item, r.score) for r in ranked[:limit]]

    # -- macros --------------------------------------------------------------------------

    def macro_list(self) -> list[MacroView]:
        with self._read_rows() as conn:
            rows = conn.execute(select(macro)).all()
        return sorted((macro_view(row) for row in rows), key=lambda v: v.name.casefold())

    def macro_get(self, name: str) -> MacroView:
        wanted = parse_name(name).casefold()
        for view in self.macro_list():
            if view.name.casefold() == wanted:
                return view
        raise NotFound(f"no macro {name!r}; see: helpdesk macro list")

    def macro_pick(self, query: str, *, limit: int = 20) -> list[MacroView]:
        ranked = rank(query, self.macro_list(), name=lambda v: v.name, body=lambda v: v.spec.body)
        return [r.item for r in ranked[:limit]]
