"""Fold quoted history and signatures out of a reply, so agents see what is new.

Nothing is thrown away: :func:`split_reply` returns the new text and the folded rest,
and a screen can show the rest on request. When in doubt a line stays visible: hiding a
customer's words costs more than showing an old quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from helpdesk_tui.mail.header_lines import FROM_FIELD, SENT_FIELD

_MAX_HEADER_LINES = 4
_MAX_SIGNATURE_LINES = 15
# A line of underscores also starts mailing-list footers, but in a body it may just be a
# divider, so it folds only a short block.
_MAX_FOOTER_LINES = 5

_WROTE_OPENER = r"^(?:On|Am|Le|El|Il|Op|Em|Den|På)\s"
_WROTE_START = re.compile(_WROTE_OPENER, re.IGNORECASE)
_WROTE = re.compile(
    _WROTE_OPENER
    + r"(?:.{0,500}(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|skrev)"
    # German, Dutch and Nordic clients name the writer after the verb: "Am 4.12.2026 um
    # 10:00 schrieb Help Desk:", "Op … schreef …:", "Den … skrev …:".
    + r"|.{0,500}\b(?:schrieb|schreef|skrev)\s[^:]{1,200})\s*:$",
    re.IGNORECASE,
)
# Other clients' attribution lines: "2014-01-09 2:47 GMT+01:00 George <g@example.org>:"
_ATTRIBUTION = re.compile(r"^.{0,500}<[^<>\s]+@[^<>\s]+>\s*:$")
_ORIGINAL_MESSAGE = re.compile(
    r"^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original"
    r"|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}$",
    re.IGNORECASE,
)
_FORWARDED = re.compile(
    r"forwarded message|begin forwarded|weitergeleitete nachricht", re.IGNORECASE
)
_SEPARATOR = re.compile(r"^(?:[-_]{5,}|\* \* \*)$")
"""A rule above quoted history: dashes or underscores (Outlook's text), or ``* * *``
(an HTML reply's ``<hr>`` as the HTML reader writes it)."""
_SIGNATURE_DELIMITER = re.compile(r"^--$")
_FOOTER_DELIMITER = re.compile(r"^_{5,}$")
_MOBILE_SIGNATURE = re.compile(
    r"^(?:Sent from my(?:\s+[\w'\u2019.-]+){1,4}"
    r"|Sent from (?:Mail|Outlook|Yahoo Mail)(?: for [\w ]{1,20})?"
    r"|Get Outlook for (?:iOS|Android))$",
    re.IGNORECASE,
)


def split_reply(text: str) -> tuple[str, str]:
    """Return (new text, folded quoted history and signature) of a plain-text reply.

    History that follows an Outlook header block, an "Original Message" line or an
    "On ... wrote:" line without ``>`` quoting is folded from there on. ``>`` quoting,
    attribution lines and signatures are folded only at the end of the message: quotes
    between new paragraphs (inline answers) stay visible as context.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _trailing_start(lines, _history_start(lines))
    return _join(lines[:cut]), _join(lines[cut:])


def own_words(text: str) -> str:
    """What the sender wrote above the first quote: :func:`split_reply`'s new text up to
    its first ``>`` line, without the attribution ("On … wrote:", "Am … schrieb …:") just
    above it. A survey answer's comment is this: the customer's words only, even when
    something (a disclaimer, a signature) follows the quote and keeps it visible.

    A reply written below the quote (bottom-posted, or between its lines) has nothing
    above it but the attribution: then its own words are its unquoted lines after it."""
    lines = split_reply(text)[0].split("\n")
    first = next((index for index, line in enumerate(lines) if _quoted(line)), None)
    if first is None:
        return _join(lines)
    end = first - 1
    while end >= 0 and not lines[end].strip():
        end -= 1
    start = _attribution_start(lines, end) if end >= 0 else None
    above = _join(lines[: first if start is None else start])
    if above:
        return above
    below: list[str] = []  # (one blank line where the quote's lines were)
    for line in lines[first:]:
        if not _quoted(line) and (line.strip() or (below and below[-1])):
            below.append(line.rstrip())
    return _join(below)


def quotes_history(text: str) -> bool:
    """Whether the text quotes an earlier message: ``>`` lines, or history after an
    attribution, an Outlook header block or an "Original Message" line (a signature alone
    is no quote)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return any(_quoted(line) for line in lines) or _history_start(lines) < len(lines)


def _join(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]).rstrip()


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _history_start(lines: list[str]) -> int:
    """The first line of history that is not ``>``-quoted (len(lines) if there is none)."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or _quoted(line):
            continue
        if _ORIGINAL_MESSAGE.match(stripped):
            return index
        if _is_outlook_header(lines, index):
            return _back_over_separator(lines, index)
        end = _wrote_end(lines, index)
        if end is not None:
            following = next((line for line in lines[end + 1 :] if line.strip()), None)
            if following is None or not _quoted(following):
                return index
    return len(lines)


def _is_outlook_header(lines: list[str], index: int) -> bool:
    """``From: ...`` followed closely by ``Sent: ...``, unless it heads a forwarded message."""
    if not FROM_FIELD.match(lines[index]):
        return False
    if any(_FORWARDED.search(line) for line in lines[max(0, index - 3) : index]):
        return False
    following = lines[index + 1 : index + _MAX_HEADER_LINES]
    return any(SENT_FIELD.match(line) for line in following)


def _back_over_separator(lines: list[str], index: int) -> int:
    """Include a ``-----`` or ``_____`` line (and blank lines) just above an Outlook header."""
    above = index - 1
    while above >= 0 and index - above <= 3 and not lines[above].strip():
        above -= 1
    if above >= 0 and _SEPARATOR.match(lines[above].strip()):
        return above
    return index


def _wrote_end(lines: list[str], start: int) -> int | None:
    """Last line of an "On <date>, <someone> wrote:" line starting at ``start``, if any."""
    if not _WROTE_START.match(lines[start].strip()):
        return None
    for end in range(start, min(start + _MAX_HEADER_LINES, len(lines))):
        if not lines[end].strip() or _quoted(lines[end]):
            return None
        joined = " ".join(line.strip() for line in lines[start : end + 1])
        if len(joined) > 600:
            return None
        if joined.endswith(":") and _WROTE.match(joined) and any(c.isdigit() for c in joined):
            return end
    return None


def _attribution_start(lines: list[str], end: int) -> int | None:
    """First line of an attribution ("On ... wrote:" and the like) ending at ``end``."""
    for start in range(end, max(-1, end - _MAX_HEADER_LINES), -1):
        if not lines[start].strip() or _quoted(lines[start]):
            return None
        joined = " ".join(line.strip() for line in lines[start : end + 1])
        if len(joined) > 600:
            return None
        if (
            joined.endswith(":")
            and any(char.isdigit() for char in joined)
            and (_WROTE.match(joined) or _ATTRIBUTION.match(joined))
        ):
            return start
    return None


def _signature_start(lines: list[str], index: int) -> int | None:
    """First line of a signature block that contains line ``index``, if any."""
    if _MOBILE_SIGNATURE.match(lines[index].strip()):
        return index
    for start in range(index, max(-1, index - _MAX_SIGNATURE_LINES), -1):
        line = lines[start]
        if _quoted(line):
            return None
        if _SIGNATURE_DELIMITER.match(line.strip()):
            return start
        if _FOOTER_DELIMITER.match(line.strip()) and index - start <= _MAX_FOOTER_LINES:
            return start
    return None


def _trailing_start(lines: list[str], end: int) -> int:
    """Walk back from ``end`` over quotes, attributions, signatures and blank lines."""
    cut = end
    seen_quote = False
    index = end - 1
    while index >= 0:
        line = lines[index]
        if not line.strip():
            index -= 1
            continue
        if _quoted(line):
            seen_quote = True
            cut = index
            index -= 1
            continue
        start = _attribution_start(lines, index) if seen_quote else None
        if start is None:
            start = _signature_start(lines, index)
        if start is None:
            break
        cut = start
        index = start - 1
    return cut


# --- the message a reply quotes --------------------------------------------------------------

_MAX_QUOTED_CHARS = 200_000
"""The most of a quoted message kept as the customer's words (the body is bounded too)."""

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "januar", "janvier", "enero", "gennaio", "januari"),
            ("feb", "february", "februar", "février", "fevrier", "febrero", "febbraio"),
            ("mar", "march", "märz", "maerz", "mars", "marzo", "maart", "mär"),
            ("apr", "april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maggio", "mei"),
            ("jun", "june", "juni", "juin", "junio", "giugno"),
            ("jul", "july", "juli", "juillet", "julio", "luglio"),
            ("aug", "august", "août", "aout", "agosto", "augustus"),
            ("sep", "sept", "september", "septembre", "septiembre", "settembre"),
            ("oct", "october", "oktober", "octobre", "octubre", "ottobre", "okt"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "dezember", "décembre", "decembre", "diciembre", "dicembre", "dez"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"([^\W\d_]{3,10})\.?"
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\.?\s+" + _MONTH + r",?\s+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"\b" + _MONTH + r"\s+(\d{1,2}),?\s+(\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DOTTED_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
"""``4.12.2026``: day first wherever dots are written (German, Nordic, Polish…)."""
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?")
_ZONE = re.compile(r"(?:\bGMT|\bUTC|(?<=\d)\s|\s)([+-])(\d{1,2}):?(\d{2})?\b")


@dataclass(frozen=True)
class Quoted:
    """The message a reply quotes, as far as the quote shows it."""

    text: str
    """Its lines, one level of ``>`` taken off (or the history below a header block)."""
    attribution: str
    """The line that introduces it ("On …, Carl <carl@…> wrote:", or the header block's
    ``From:`` and ``Sent:`` lines joined), one line; "" when there is none."""
    address: str | None = None
    """The address the attribution names, if it names one (lower-case)."""


def quoted_message(text: str) -> Quoted | None:
    """The message a reply quotes, recovered from the reply's text: the first ``>``-quoted
    block after an attribution line, or the history under an Outlook header block or an
    "Original Message" line. None when the text quotes nothing that can be told apart."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((index for index, line in enumerate(lines) if _quoted(line)), None)
    history = _history_start(lines)
    if first is not None and (history >= len(lines) or first < history):
        end = first - 1
        while end >= 0 and not lines[end].strip():
            end -= 1
        start = _attribution_start(lines, end) if end >= 0 else None
        attribution = (
            " ".join(line.strip() for line in lines[start : end + 1]) if start is not None else ""
        )
        body: list[str] = []
        for line in lines[first:]:
            if not _quoted(line) and line.strip():
                break
            body.append(_unquote(line))
        return _recovered(body, attribution)
    if history >= len(lines):
        return None
    at = history
    if _SEPARATOR.match(lines[at].strip()) or _ORIGINAL_MESSAGE.match(lines[at].strip()):
        at += 1
    while at < len(lines) and not lines[at].strip():
        at += 1
    header: list[str] = []
    if at < len(lines) and FROM_FIELD.match(lines[at]):
        while at < len(lines) and lines[at].strip() and len(header) < 8:
            header.append(lines[at].strip())
            at += 1
        attribution = " ".join(h for h in header if FROM_FIELD.match(h) or SENT_FIELD.match(h))
        return _recovered(lines[at:], attribution)
    wrote = _wrote_end(lines, at)
    if wrote is None:
        return None
    attribution = " ".join(line.strip() for line in lines[at : wrote + 1])
    return _recovered(lines[wrote + 1 :], attribution)


def _unquote(line: str) -> str:
    stripped = line.lstrip()
    if not stripped.startswith(">"):
        return ""
    rest = stripped[1:]
    return rest[1:] if rest.startswith(" ") else rest


def _recovered(lines: list[str], attribution: str) -> Quoted | None:
    text = _join([line.rstrip() for line in lines])[:_MAX_QUOTED_CHARS]
    if not text:
        return None
    found = re.findall(
        r"<?([^\s<>()\[\]:,;\"]+@[^\s<>()\[\]:,;\"]+\.[^\s<>()\[\]:,;\"]+)>?", attribution
    )
    address = found[0].lower().removeprefix("mailto:") if found else None
    return Quoted(text, attribution[:600], address)


def attribution_date(attribution: str, zone: tzinfo | None = None) -> datetime | None:
    """When the quoted message was written, as its attribution line says, when it says so
    plainly: "On Mon, 23 Nov 2026 at 09:00", "November 23, 2026 9:00 AM", "2026-11-23
    09:00", "23.11.2026 um 09:00". A zone written there counts, else ``zone`` (the answer's
    own), else UTC. Dates written with slashes (11/12/26: which is the month?) give None."""
    text = attribution[:600]
    year = month = day = None
    found = None
    for pattern, order in (
        (_ISO_DATE, "ymd"),
        (_DAY_MONTH_YEAR, "dMy"),
        (_MONTH_DAY_YEAR, "Mdy"),
        (_DOTTED_DATE, "dmy"),
    ):
        found = pattern.search(text)
        if found is None:
            continue
        parts = dict(zip(order, found.groups(), strict=True))
        if "M" in parts:
            month = _MONTHS.get(parts["M"].lower())
            if month is None:
                found = None
                continue
        else:
            month = int(parts["m"])
        year, day = int(parts["y"]), int(parts["d"])
        break
    if found is None or year is None or month is None or day is None:
        return None
    hour = minute = second = 0
    after = text[found.end() :]
    clock = _TIME.search(after)
    if clock is not None:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        second = int(clock.group(3) or 0)
        meridiem = (clock.group(4) or "").lower()
        if meridiem and not 1 <= hour <= 12:
            return None
        if meridiem == "p" and hour != 12:
            hour += 12
        elif meridiem == "a" and hour == 12:
            hour = 0
        after = after[clock.end() :]
    offset = _ZONE.search(after) if clock is not None else None
    if offset is not None and int(offset.group(2)) <= 14:
        sign = -1 if offset.group(1) == "-" else 1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0))
        zone = timezone(sign * delta)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone or UTC)
    except ValueError:
        return None
