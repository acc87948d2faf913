"""Message-IDs for mail we send, signed so that a made-up one never threads into a ticket.

``<hd.1042.<nonce>.<mac>@desk.example.com>``: the ticket number travels in the ID, and an
HMAC over number, nonce and domain proves we wrote it. A reply whose In-Reply-To names an
ID in this shape with a wrong MAC is treated as naming nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import Enum

_OURS = re.compile(r"^<hd\.(\d{1,18})\.([0-9a-f]{16})\.([a-z2-7]{16,32})@([^<>@\s]+)>$")


class Origin(Enum):
    FOREIGN = "foreign"
    """Not in our format: someone else's Message-ID."""
    OURS = "ours"
    FORGED = "forged"
    """Our format, but the signature does not match."""


@dataclass(frozen=True)
class Checked:
    origin: Origin
    ticket_number: int | None = None
    """The ticket a genuine ID of ours belongs to (None for mail not about a ticket)."""


class MessageIdSigner:
    def __init__(self, secret: str, domain: str) -> None:
        if not secret:
            raise ValueError("a Message-ID secret is needed")
        self._key = secret.encode()
        self.domain = domain.lower()

    def _mac(self, number: int, nonce: str, domain: str) -> str:
        digest = hmac.new(self._key, f"{number}.{nonce}@{domain}".encode(), hashlib.sha256).digest()
        return base64.b32encode(digest[:15]).decode().lower()

    def new(self, ticket_number: int | None) -> str:
        number = ticket_number or 0
        nonce = secrets.token_hex(8)
        return f"<hd.{number}.{nonce}.{self._mac(number, nonce, self.domain)}@{self.domain}>"

    def check(self, message_id: str) -> Checked:
        match = _OURS.match(message_id.strip().lower())
        if match is None:
            return Checked(Origin.FOREIGN)
        number, nonce, mac, domain = match.groups()
        if not hmac.compare_digest(mac, self._mac(int(number), nonce, domain)):
            return Checked(Origin.FORGED)
        return Checked(Origin.OURS, int(number) or None)
