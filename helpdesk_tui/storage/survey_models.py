"""Tables of the customer-satisfaction surveys (migration ``0012``): ``survey_opt_out``
lists requesters who asked not to be surveyed; ``desk_setting`` keeps the key that signs
survey tokens and the desk's switch.

Apart from the reports' tables (``report_models``): a ticket's change reads them (a survey
on closing) and never the reports' cache, so a write verb makes none of those classes.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Text
from sqlmodel import Field

from helpdesk_tui.storage.table import Table


class SurveyOptOut(Table, table=True):
    """A requester who is never sent a satisfaction survey."""

    __tablename__ = "survey_opt_out"

    contact_id: int = Field(
        sa_column=Column(ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    )


class DeskSetting(Table, table=True):
    """A per-desk value kept in the database, the same for every agent of a shared desk:
    ``survey.secret`` (the HMAC key of survey tokens, made on first use) and
    ``survey.enabled`` (``no`` switches surveys off for the whole desk)."""

    __tablename__ = "desk_setting"

    name: str = Field(sa_column=Column(String(50), primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class SurveyOptOutHash(Table, table=True):
    """An opt-out that outlived its contact (migration ``0039``): when an admin forgets a
    contact who asked not to be surveyed, the sha256 of their address stays here, so mail
    from that address later (a new contact) is still never surveyed."""

    __tablename__ = "survey_opt_out_hash"

    address_hash: str = Field(sa_column=Column(String(64), primary_key=True))
