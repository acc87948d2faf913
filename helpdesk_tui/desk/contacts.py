"""Customers: matched by email address, created on first contact."""

from __future__ import annotations

from sqlmodel import Session, select

from helpdesk_tui.desk.errors import InvalidValue
from helpdesk_tui.storage.models import Contact, Organization


def normalize_email(address: str) -> str:
    address = address.strip().lower()
    if "@" not in address or address.startswith("@") or address.endswith("@") or " " in address:
        raise InvalidValue(f"not an email address: {address!r}")
    return address


def find_or_create_contact(session: Session, email: str, name: str = "") -> Contact:
    email = normalize_email(email)
    contact = session.exec(select(Contact).where(Contact.email == email)).first()
    if contact is not None:
        if name and not contact.name:
            contact.name = name
        return contact
    domain = email.rsplit("@", 1)[1]
    organization = session.exec(select(Organization).where(Organization.domain == domain)).first()
    contact = Contact(
        email=email,
        name=name,
        organization_id=organization.id if organization else None,
    )
    session.add(contact)
    session.flush()
    return contact
