"""Customers: matched by email address, created on first contact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text, update

from helpdesk_tui.desk.values import name_value, parse_address
from helpdesk_tui.storage.core_tables import Contact, contact
from helpdesk_tui.storage.core_text import insert_returning_id
from helpdesk_tui.storage.database import connection_of
from helpdesk_tui.storage.enums import utcnow

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader


@dataclass(frozen=True)
class ContactRow:
    """A customer as the writers use one: who, and where mail to them goes."""

    id: int
    email: str | None
    name: str


def normalize_email(address: str) -> str:
    return parse_address(address)


def contact_row(reader: Reader, contact_id: int | None) -> ContactRow | None:
    """Contact ``contact_id``, if there is one."""
    if contact_id is None:
        return None
    found = connection_of(reader).execute(_CONTACT, {"id": contact_id}).first()
    return ContactRow(*found) if found is not None else None


_CONTACT = text("SELECT id, email, name FROM contact WHERE id = :id").columns(
    Contact.id, Contact.email, Contact.name
)
"""SQL text, which a reply's process does not compile (SQLAlchemy compiled the Core
statement anew in every command, ≈ 0.5 ms)."""


def find_contact(reader: Reader, email: str) -> ContactRow | None:
    """The contact with this (normalized) address, if there is one."""
    found = connection_of(reader).execute(_CONTACT_BY_EMAIL, {"email": email}).first()
    return ContactRow(*found) if found is not None else None


_CONTACT_BY_EMAIL = text("SELECT id, email, name FROM contact WHERE email = :email").columns(
    Contact.id, Contact.email, Contact.name
)
_ORGANIZATION_BY_DOMAIN = text("SELECT id FROM organization WHERE domain = :domain LIMIT 1")
"""A new contact's organization, by its address's domain (SQL text, as the reads above)."""


def find_or_create_contact(reader: Reader, email: str, name: str = "") -> ContactRow:
    email = normalize_email(email)
    name = name_value(name, "contact's name", Contact.name)
    conn = connection_of(reader)
    found = find_contact(conn, email)
    if found is not None:
        if name and not found.name:
            conn.execute(update(contact).where(Contact.id == found.id).values(name=name))
            return ContactRow(found.id, found.email, name)
        return found
    domain = email.rsplit("@", 1)[1]
    organization_id = conn.execute(_ORGANIZATION_BY_DOMAIN, {"domain": domain}).scalar()
    values = {
        "email": email,
        "name": name,
        "organization_id": organization_id,
        "created_at": utcnow(),
    }
    statement = insert_returning_id(conn.dialect, contact, tuple(values))
    new_id = conn.execute(statement, values).scalar_one()
    return ContactRow(int(new_id), email, name)
