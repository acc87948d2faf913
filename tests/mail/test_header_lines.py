"""One definition of a header block's ``From:`` and ``Sent:`` lines for the quote folding
and the forward reading, which had two copies that differed (Inviato only in one, Fecha and
Data only in the other): each now matches what either matched."""

from __future__ import annotations

import re
from dataclasses import replace

from helpdesk_tui.mail.forwards import forwarded_from
from helpdesk_tui.mail.header_lines import FROM_FIELD, SENT_FIELD
from helpdesk_tui.mail.parse import parse_message
from helpdesk_tui.mail.quotes import split_reply

from .mailbuild import email

# The two copies as they were (quotes.py matched stripped lines; forwards.py "> "-stripped).
_QUOTES_FROM = re.compile(r"^\*?(?:From|Von|De|Van|Da)\s?:\*?\s+\S", re.IGNORECASE)
_QUOTES_SENT = re.compile(
    r"^\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|Verzonden|Inviato)\s?:\*?\s+\S",
    re.IGNORECASE,
)
_FORWARDS_FROM = re.compile(r"^\s*\*?(?:from|von|de|van|da)\s*:\*?\s*(.+)$", re.IGNORECASE)
_FORWARDS_SENT = re.compile(
    r"^\s*\*?(?:sent|date|gesendet|datum|envoy[ée]|enviado|fecha|data|verzonden)\s*:",
    re.IGNORECASE,
)

_VALUE = "Ann Customer <ann@example.org>"
_FROM_LINES = [
    f"{prefix}{word}{colon}{value}"
    for word in ("From", "von", "DE", "Van", "Da", "Of", "Fra", "Subject", "Fromage")
    for prefix in ("", "  ", "*")
    for colon in (":", " :", ":*", "  :")
    for value in (f" {_VALUE}", "", " ", _VALUE)
]
_SENT_WORDS = (
    "Sent", "date", "Gesendet", "Datum", "Envoyé", "envoye", "Enviado", "Fecha", "Data",
    "Verzonden", "Inviato", "To", "Subject", "Sentence",
)  # fmt: skip
_SENT_LINES = [
    f"{prefix}{word}{colon}{value}"
    for word in _SENT_WORDS
    for prefix in ("", " ", "*")
    for colon in (":", " :", ":*")
    for value in (" Monday, 4 December 2026 10:00", "", " ")
]


def _word(line: str) -> str:
    return line.strip(" *").split(":")[0].strip().lower()


def test_a_from_line_either_copy_matched_with_a_value_still_matches() -> None:
    for line in _FROM_LINES:
        _check_from_line(line)


def _check_from_line(line: str) -> None:
    forwards = _FORWARDS_FROM.match(line)
    # (the forward reader found no address in a blank value: no match now)
    old = _QUOTES_FROM.match(line.strip()) or (forwards and forwards.group(1).strip())
    new = FROM_FIELD.match(line)
    if old:
        assert new is not None, line
        if forwards:
            assert new.group(1).strip() == forwards.group(1).strip(), line
    if new is not None:
        assert _word(line) in ("from", "von", "de", "van", "da"), line


def test_a_sent_line_either_copy_matched_with_a_value_still_matches() -> None:
    for line in _SENT_LINES:
        _check_sent_line(line)


def _check_sent_line(line: str) -> None:
    has_value = bool(line.split(":", 1)[1].strip(" *"))
    old = _QUOTES_SENT.match(line.strip()) or (_FORWARDS_SENT.match(line) and has_value)
    new = SENT_FIELD.match(line)
    if old:
        assert new is not None, line
    if new is not None:
        assert _word(line) not in ("to", "subject", "sentence"), line


def test_the_quote_folding_knows_the_spanish_fecha() -> None:
    """``Fecha:`` was only the forward reader's: a Spanish Outlook block stayed visible."""
    text = (
        "Gracias, funciona.\n\n"
        "De: Soporte <s@example.com>\nFecha: lunes, 4 de diciembre de 2026 10:00\n"
        "Para: ana@example.org\nAsunto: RE: [#42] Impresora\n\nTexto anterior"
    )

    assert split_reply(text)[0] == "Gracias, funciona."


def test_the_forward_reader_knows_the_italian_inviato() -> None:
    """``Inviato:`` was only the quote folding's: an Italian Outlook forward kept the agent."""
    body = (
        "Vedi sotto.\n\n"
        "Da: Anna Cliente <anna@example.it>\nInviato: lunedì 4 dicembre 2026 10:00\n"
        "A: bob@acme.test\nOggetto: VPN\n\nLa VPN cade."
    )
    raw = email(sender="bob@acme.test", subject="I: VPN", body=body)
    parsed = parse_message(raw, max_attachment_bytes=10_000)

    assert forwarded_from(replace(parsed, subject="Fwd: VPN")) == (
        "anna@example.it",
        "Anna Cliente",
    )
