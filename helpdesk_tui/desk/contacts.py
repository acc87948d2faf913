"""Customers: matched by email address, created on first contact."""

from __future__ import annotations

from sqlmodel import Session, select

from helpdesk_tui.desk.values import parse_address, text_value
from helpdesk_tui.storage.models import Contact, Organization


def normalize_email(address: str) -> str:
    return parse_address(address)


def find_or_create_contact(session: Session, email: str, name: str = "") -> Contact:
    email = normalize_email(email)
    name = " ".join(text_value(name, "contact's name", single_line=True).split())
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
