"""Tables of the composer's repeated work (migration ``0011``): canned responses and macros.

A canned response is shared (desk-wide, ``owner_agent_id`` NULL) or personal (its owner's
alone). A macro is a desk-wide canned text plus field changes applied in one step. Both
keep their text as written, placeholders included; ``desk/canned.py`` renders them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Text
from sqlmodel import Field

from helpdesk_tui.storage.models import utcnow
from helpdesk_tui.storage.table import Table
from helpdesk_tui.storage.types import UTCDateTime


def _ts() -> Column[datetime]:
    return Column(UTCDateTime(), nullable=False)


class CannedResponse(Table, table=True):
    """A text agents insert into replies and notes; names are unique per owner (desk-checked)."""

    __tablename__ = "canned_response"
    __table_args__ = (Index("ix_canned_response_owner_name", "owner_agent_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    owner_agent_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("agent.id", ondelete="CASCADE"))
    )
    """None: shared by the whole desk (supervisors and admins manage it)."""
    updated_by: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Macro(Table, table=True):
    """A canned text plus field changes, applied to a ticket as one change."""

    __tablename__ = "macro"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_kind: str = Field(default="reply", sa_column=Column(String(10), nullable=False))
    """``reply`` (emailed to the requester) or ``note`` (internal)."""
    status: str | None = Field(default=None, sa_column=Column(String(20)))
    priority: str | None = Field(default=None, sa_column=Column(String(20)))
    tags_add: str = Field(default="", sa_column=Column(Text, nullable=False))
    """Space-separated tag names."""
    tags_remove: str = Field(default="", sa_column=Column(Text, nullable=False))
    assignee: str | None = Field(default=None, sa_column=Column(String(64)))
    """An agent's login."""
    team: str | None = Field(default=None, sa_column=Column(String(100)))
    updated_by: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
