"""Ticket subjects: the ``[#1042]`` tokens in them, reply prefixes, what goes out.

Pure functions on strings, used by ``desk/`` (the subject of an agent's reply) and by
``mail/`` (threading an incoming subject, the acknowledgement's subject); they live in
``desk/`` because ``desk/`` never imports ``mail/``.

- :func:`ticket_tokens` finds every ticket token in a subject, so a caller can try each:
  a reply to an old acknowledgement may carry two (``Re: [#2] Received: Printer [#1]``).
  :func:`tokens_newest_first` orders them for trying: ticket numbers only grow, so the
  highest number names the newest ticket, wherever in the subject it stands.
- :func:`strip_prefixes` drops the reply and forward prefixes mail clients add, in the
  languages customers write in, stacked (``Re: AW: Fwd:``), counted (``Re[2]:``,
  ``RE(3):``) or wrapped (``[Fwd: …]``); :func:`base_subject` also drops the tokens, and
  :func:`same_subject` compares two subjects on what is left.
- :func:`reply_subject` is the subject every outgoing mail about a ticket carries: exactly
  one ``Re:`` and exactly one token, whatever the subject it answers held.
- :func:`without_list_tag` drops the leading ``[…]`` tag a mailing list put on its copy,
  only a tag that is the list's own: one a customer wrote (``[URGENT] printer down``) stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TOKEN = re.compile(r"\[#(\d{1,12})\]")
"""A ticket token as we write it: ``[#1042]``."""

_PREFIX_WORDS = (
    # English and most clients' defaults
    "re",
    "fwd",
    "fw",
    # German: Antwort, Weitergeleitet
    "aw",
    "wg",
    # Swedish, Danish, Norwegian, Finnish: Svar/Vastaus, Vidarebefordrat/Videresendt/Välitetty
    "sv",
    "vs",
    "vb",
    "vl",
    # Polish: Odpowiedź, Prześlij dalej
    "odp",
    "pd",
    # Czech, Slovak: Přeposláno
    "př",
    # French: Réf., Transféré
    "réf",
    "tr",
    # Italian: Risposta, Riferimento, Inoltrato
    "r",
    "rif",
    "i",
    # Dutch: Antwoord, Doorgestuurd
    "antw",
    "doorst",
    # Spanish, Portuguese: Respuesta/Resposta, Reenviado/Encaminhado
    "rv",
    "res",
    "enc",
    # Turkish: YNT (yanit), ILT (ilet)
    "ynt",
    "ilt",
    "İlt",
    # Hungarian: Válasz, Továbbítás
    "vá",
    "továbbítás",
    # Croatian, Serbian, Slovenian: Odgovor
    "odg",
    # Latvian, Lithuanian: Atbilde, Pārsūtīt, Atsakymas, Persiųsti
    "atb",
    "pārs",
    "ats",
    "prsl",
    # Greek: Απάντηση, Σχετικά, Προώθηση
    "απ",
    "σχετ",
    "πρθ",
    # Russian, Ukrainian, Bulgarian
    "ответ",
    "отв",
    "пересл",
    "відп",
    "на",
    # Hebrew, Arabic, Persian
    "השב",
    "הועבר",
    "תשובה",
    "رد",
    "إعادة توجيه",
    "پاسخ",
    # Chinese, Japanese, Korean
    "回复",
    "回覆",
    "答复",
    "答覆",
    "转发",
    "转寄",
    "轉寄",
    "轉發",
    "返信",
    "転送",
    "회신",
    "답장",
    "전달",
)
_WORDS = "|".join(re.escape(word) for word in sorted(set(_PREFIX_WORDS), key=len, reverse=True))
# A word, an optional count (Re[2], RE(3), Re^2), a colon (or a full-width one).
_PREFIX = re.compile(
    rf"^\s*(?:{_WORDS})\.?\s*(?:\[\d{{1,3}}\]|\(\d{{1,3}}\)|\^\d{{1,3}})?\s*[:\uff1a]\s*",
    re.IGNORECASE,
)
# Old Netscape and Pine forwards: ``[Fwd: subject]``, ``subject (fwd)``.
_WRAPPED = re.compile(rf"^\s*\[\s*(?:{_WORDS})\s*[:\uff1a]\s*(.*)\]\s*$", re.IGNORECASE | re.DOTALL)
_FWD_SUFFIX = re.compile(r"\s*\((?:fwd|fw)\)\s*$", re.IGNORECASE)
_TAG = re.compile(r"\[[^\[\]]{1,40}\]")
_TAGS = re.compile(r"^(?:\[[^\[\]]{1,40}\]\s*)+")
_LEGACY_ACK = re.compile(r"^(?:\s*(?:re|aw|sv|antw)\s*:)*\s*\[#\d{1,12}\]\s*Received:\s*", re.I)
_WHITESPACE = re.compile(r"\s+")
_LEADING = re.compile(
    rf"^(?:\s*(?:(?:{_WORDS})\.?\s*[:\uff1a]\s*|\[[^\[\]]{{1,60}}\]\s*))*", re.IGNORECASE
)
"""A subject's leading reply prefixes and ``[…]`` tags."""
_LIST_TAG = re.compile(r"\[(?!\s*#\d)([^\[\]]{1,60})\]\s*")
"""A tag, not a ticket token (``[#1042]``)."""


def ticket_tokens(subject: str) -> list[int]:
    """Every ticket number named by a ``[#N]`` token, in the order they stand, once each."""
    return list(dict.fromkeys(int(number) for number in TOKEN.findall(subject)))


def tokens_newest_first(subject: str) -> list[int]:
    """The ticket numbers a subject names, in the order to try them: the newest ticket first."""
    return newest_first(ticket_tokens(subject))


def newest_first(numbers: Iterable[int]) -> list[int]:
    """Ticket numbers grow, so the highest names the newest ticket."""
    return sorted(set(numbers), reverse=True)


def strip_prefixes(subject: str) -> str:
    """The subject without the reply/forward prefixes in front of it (or around it).

    Bracketed tags in front (a mail gateway's ``[EXT]``, a list's ``[team]``, our tokens)
    stay, once each, and prefixes behind them go: ``[EXT] Re: [EXT] AW: x`` is
    ``[EXT] x``. Only :func:`base_subject` drops the tokens.
    """
    text = _WHITESPACE.sub(" ", subject).strip()
    while True:
        before = text
        wrapped = _WRAPPED.match(text)
        if wrapped is not None:
            text = wrapped.group(1).strip()
        tags = _TAGS.match(text)
        rest = text[tags.end() :] if tags else text
        names = list(dict.fromkeys(_TAG.findall(tags.group(0)))) if tags else []
        rest = _FWD_SUFFIX.sub("", _PREFIX.sub("", rest, count=1)).strip()
        text = " ".join([*names, rest]).strip()
        if text == before:
            return text


def base_subject(subject: str) -> str:
    """What a subject is about: no tokens, no reply/forward prefixes, one space between words.

    The acknowledgement subject of earlier versions (``[#2] Received: Re: x [#1]``) is
    recognised, so that a reply to one does not carry ``Received:`` on.
    """
    text = _LEGACY_ACK.sub("", _WHITESPACE.sub(" ", subject).strip())
    while True:
        before = text
        text = strip_prefixes(_WHITESPACE.sub(" ", TOKEN.sub(" ", text)).strip())
        if text == before:
            return text


def same_subject(first: str, second: str) -> bool:
    """Whether two subjects are about the same thing, prefixes, tokens and case aside."""
    return base_subject(first).casefold() == base_subject(second).casefold()


def reply_subject(subject: str, number: int) -> str:
    """``Re: <subject> [#<number>]``: one ``Re:`` and one token, whatever ``subject`` held."""
    base = base_subject(subject)
    return f"Re: {base} [#{number}]" if base else f"Re: [#{number}]"


def token_subject(subject: str, number: int) -> str:
    """``<subject> [#<number>]``: the ticket's token on a mail that answers nothing (no
    ``Re:``), whatever ``subject`` held."""
    base = base_subject(subject)
    return f"{base} [#{number}]" if base else f"[#{number}]"


def list_name(text: str) -> str:
    """A mailing list's name as its tags and headers are compared: letters and digits,
    lower case, without Mailman's trailing post number (``[Printers 123]``)."""
    text = re.sub(r"\s+\d+\s*$", "", text.strip().strip('"'))
    return re.sub(r"[\W_]+", "", text).lower()


def leading_tags(subject: str) -> list[str]:
    """The ``[…]`` tags before a subject's text (among its reply prefixes), as written,
    ticket tokens left out: ``Re: [users] [URGENT] x`` has ``users`` and ``URGENT``."""
    lead = _LEADING.match(subject)
    return [tag.group(1) for tag in _LIST_TAG.finditer(lead.group(0))] if lead else []


def without_list_tag(subject: str, names: Iterable[str]) -> str | None:
    """The subject without the first leading tag that names one of the list's ``names``
    (as :func:`list_name` writes them), its reply prefixes kept (``Re: [users] x``:
    ``Re: x``); None when no leading tag names the list."""
    wanted = set(names) - {""}
    lead = _LEADING.match(subject)
    if lead is None or not wanted:
        return None
    for tag in _LIST_TAG.finditer(lead.group(0)):
        if list_name(tag.group(1)) in wanted:
            return (subject[: tag.start()] + subject[tag.end() :]).strip()
    return None
