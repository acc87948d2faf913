"""The ``From:`` and ``Sent:`` lines of a mail client's header block in a message's text.

Outlook and others put the quoted or forwarded message's headers into the text, in the
reader's language (``From:``/``Von:``/``De :`` and ``Sent:``/``Gesendet:``/``Envoyé :``…,
sometimes bold as ``*From:*``). One definition serves the quote folding
(:mod:`helpdesk_tui.mail.quotes`: an Outlook header block starts the history) and the
forward reading (:mod:`helpdesk_tui.mail.forwards`: who wrote the forwarded message).
"""

from __future__ import annotations

import re

FROM_WORDS = ("from", "von", "de", "van", "da")
"""English; German; French, Spanish and Portuguese; Dutch; Italian."""
SENT_WORDS = (
    "sent",
    "date",
    "gesendet",
    "datum",
    "envoyé",
    "envoye",
    "enviado",
    "fecha",
    "data",
    "verzonden",
    "inviato",
)
"""Sent/Date (English), Gesendet/Datum (German, Dutch), Envoyé (French), Enviado (Spanish,
Portuguese), Fecha (Spanish), Data (Italian, Portuguese), Verzonden (Dutch), Inviato
(Italian)."""


def _field(words: tuple[str, ...]) -> str:
    names = "|".join(re.escape(word) for word in words)
    # "From: x", "De : x" (French puts a space before the colon), "*From:* x" (bold).
    return rf"^\s*\*?(?:{names})\s*:\*?\s*(\S.*)$"


FROM_FIELD = re.compile(_field(FROM_WORDS), re.IGNORECASE)
"""A ``From:`` line with a value (group 1)."""
SENT_FIELD = re.compile(_field(SENT_WORDS), re.IGNORECASE)
"""A ``Sent:``/``Date:`` line with a value (group 1)."""
