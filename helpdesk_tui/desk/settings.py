"""Per-desk switches kept in the database (``desk_setting``): the same for every agent and
process of a shared desk, unlike the config file, which each machine has its own of."""

from __future__ import annotations

from sqlmodel import Session

from helpdesk_tui.storage.survey_models import DeskSetting


def desk_setting(session: Session, name: str) -> str | None:
    row = session.get(DeskSetting, name)
    return row.value if row else None


def set_desk_setting(session: Session, name: str, value: str) -> None:
    row = session.get(DeskSetting, name)
    if row is None:
        session.add(DeskSetting(name=name, value=value))
    else:
        row.value = value


def switch(session: Session, name: str, *, default: bool) -> bool:
    """A yes/no setting; ``default`` until someone sets it."""
    value = desk_setting(session, name)
    return default if value is None else value == "yes"


def set_switch(session: Session, name: str, on: bool) -> None:
    set_desk_setting(session, name, "yes" if on else "no")
