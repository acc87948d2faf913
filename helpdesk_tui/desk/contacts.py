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


_NOT_IN_A_TYPED_ADDRESS = frozenset(',;<>"()[]\\')


def parse_recipient(address: str) -> str:
    """An address a person typed to send mail to: one mailbox, nothing that adds another.

    Stricter than :func:`normalize_email` (which also reads what mail brings): a comma, a
    semicolon, brackets, quotes, a second ``@`` or any control or space character would let
    one typed value reach several recipients or inject a header, so it is refused.
    """
    text = address.strip()
    if "@" not in text:
        return normalize_email(text)  # refused there: not an email address at all
    if (
        text.count("@") != 1
        or any(ch in _NOT_IN_A_TYPED_ADDRESS for ch in text)
        or not all(ch.isprintable() and not ch.isspace() for ch in text)
    ):
        raise InvalidValue(f"not a single email address: {text!r}")
    return normalize_email(text)


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
