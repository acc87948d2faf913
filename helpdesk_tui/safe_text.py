"""Making text from outside safe to put on a terminal.

Subjects, names, bodies and file names come from strangers. Rich markup in them must stay
literal (so they are only ever put in ``rich.text.Text``), and escape sequences, control
characters and bidi overrides must never reach the terminal raw; nor a pile of combining
marks on one character ("Zalgo" text), which some terminals draw over the lines around it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.style import Style
    from rich.text import Text

# CSI / OSC / DCS / other ESC sequences, whole, so no payload survives (e.g. OSC 52 clipboard).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, ended by BEL or ST (or not at all)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # two-character escapes, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
)
# C0 and C1 controls except tab and newline; DEL; bidi embedding/override/isolate/mark controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Lone surrogates: undecodable bytes from argv or a file (``surrogateescape``); written out
# they would become raw bytes again (a C1 byte among them), so they are shown as U+FFFD.
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Invisible characters that make two names look alike: zero-width space, word joiner and
# invisible operators, BOM, Mongolian vowel separator, combining grapheme joiner, Hangul
# fillers. Bodies keep them; single-line text (subjects, names, tags, file names) loses them.
_INVISIBLE = re.compile(r"[\u034f\u115f\u1160\u180e\u200b\u2060-\u2064\u3164\ufeff\uffa0]")
# The zero-width non-joiner (ZWNJ) and joiner (ZWJ) are invisible too, and single-line text
# loses them except where they do their work, as Unicode lets identifiers keep them (UAX #31
# §2.3, IDNA's CONTEXTJ rules in RFC 5892): a ZWNJ after a virama (Hindi क्‌ष) or between
# two letters that would join (Persian می‌خواهم: Joining_Type L/D, then R/D, with only
# transparent marks between), a ZWJ after a virama (the half form क्‍ष) or between two emoji
# (a family, a rainbow flag; the emoji before it may carry its variation selector or skin
# tone). The properties come from Unicode's own data through the ``regex`` module (Python's
# unicodedata has neither Joining_Type nor Extended_Pictographic).
_KEPT_JOINER = (
    r"(?<=\p{ccc=Virama})[\u200c\u200d]"
    r"|(?<=[\p{jt=L}\p{jt=D}]\p{jt=T}*)\u200c(?=\p{jt=T}*[\p{jt=R}\p{jt=D}])"
    r"|(?<=\p{Extended_Pictographic}[\ufe0f\p{Emoji_Modifier}]?)\u200d"
    r"(?=\p{Extended_Pictographic})"
)
_IDLE_JOINER = rf"(?!{_KEPT_JOINER})[\u200c\u200d]"
MAX_MARKS = 4
"""The most combining marks kept on one character on the way to the terminal: real scripts
use up to three (Vietnamese ệ decomposed: two; Hindi क़ीं: three; Thai ผู้: two; a keycap
emoji: two), "Zalgo" text piles tens of them on each letter."""
_MARKS_RUN = re.compile(rf"[^\x00-\u02ff\w]{{{MAX_MARKS + 1},}}")
"""Where more than ``MAX_MARKS`` marks may follow each other: a run of characters each
above U+02FF (as every combining mark is) and none a letter or digit (no mark is): text in
any script is letters with a mark or two between them, so only a pile of marks (or a row
of emoji, or of punctuation) is looked at a character at a time."""


def clean(text: str, *, single_line: bool = False) -> str:
    """``text`` with escape sequences and control characters removed.

    ``single_line`` also folds newlines and tabs to spaces and drops invisible characters
    that can spoof (subjects, names, file names).
    """
    text = _ESCAPE_SEQUENCE.sub("", _SURROGATE.sub("\ufffd", text.replace("\r\n", "\n")))
    text = _CONTROL.sub("", text)
    if _MARKS_RUN.search(text) is not None:
        text = _MARKS_RUN.sub(_capped_marks, text)
    if single_line:
        text = " ".join(_without_zero_width(text).split())
    return text


def _capped_marks(found: re.Match[str]) -> str:
    """A run of characters (``_MARKS_RUN``) with at most ``MAX_MARKS`` combining marks after
    each character: the first ones, in their order."""
    import unicodedata  # (here: only text with such a run needs it)

    run = found.group()
    kept: list[str] = []
    marks = 0
    for char in run:
        if unicodedata.category(char) in {"Mn", "Me"}:
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        kept.append(char)
    return run if len(kept) == len(run) else "".join(kept)


def _without_zero_width(text: str) -> str:
    """``text`` without invisible characters that spoof, a joiner doing its work kept
    (``_KEPT_JOINER``)."""
    text = _INVISIBLE.sub("", text)
    return _without_idle_joiners(text) if "\u200c" in text or "\u200d" in text else text


def _without_idle_joiners(text: str) -> str:
    """``text`` without the ZWNJ and ZWJ that join nothing (``_KEPT_JOINER``)."""
    import regex  # (here: only text with a joiner needs it)

    return str(regex.sub(_IDLE_JOINER, "", text))


def without_escape_sequences(text: str) -> str:
    """``text`` without terminal escape sequences, each removed whole (CSI, OSC with its
    payload, DCS …): removing only their control characters leaves ``[31m`` or an OSC 8
    link's ``]8;;http://…`` behind as visible garbage."""
    return _ESCAPE_SEQUENCE.sub("", text)


def without_invisibles(text: str) -> str:
    """``text`` without bidi controls and zero-width characters (kept: everything else, and a
    joiner between two emoji).

    For names and subjects as they are stored: what an agent reads is what was typed, and
    ``ad\u200bmin`` cannot pass for ``admin``.
    """
    return _without_zero_width(_BIDI.sub("", text))


def plain(text: str | None, style: str | Style = "", *, single_line: bool = True) -> Text:
    """A ``Text`` that shows ``text`` literally: no markup, no escapes."""
    from rich.text import Text  # here, so the CLI's output filter does not load Rich

    return Text(clean(text or "", single_line=single_line), style=style)


def clamped(text: Text, width: int, lines: int) -> Text:
    """``text`` as it wraps at ``width`` cells, cut to ``lines`` lines, the last one ending
    in "…" where something was cut.

    Outside text has no length a screen can rely on (a 500-character subject, a requester
    name of 10,000): where a name or subject shares the screen with other things, it gets a
    few lines, not the screen.
    """
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    width = max(width, 2)
    if text.cell_len <= width and "\n" not in text.plain:
        return text  # one line (most names and subjects): no wrapping to measure
    wrapped = text.wrap(Console(file=StringIO(), width=width), width, overflow="fold")
    if len(wrapped) <= lines:
        return text
    kept = list(wrapped[:lines])
    last = kept[-1]
    last.rstrip()
    last.truncate(width - 1)
    last.append("…")
    return Text("\n").join(kept)


def shortened(text: str, *, word: int = 160, whole: int = 320) -> str:
    """``text`` (one line) with each run of non-blanks longer than ``word`` cells cut in its
    middle to "…", then the whole cut in its middle if still longer than ``whole`` cells.

    For messages that quote what someone typed or sent: a 3,000-character tag in "not a usable
    tag: '…'" took 38 lines of an 80-column terminal. The start says what the value was and
    the end keeps the message's own words after it (its closing quote, "is not a date"); a
    word of two 80-column lines leaves any real path or address whole.
    """
    from rich.cells import cell_len

    def cut(part: str, cells: int) -> str:
        if cell_len(part) <= cells:
            return part
        tail = max(cells // 4, 1)
        return _first_cells(part, cells - tail - 1) + "…" + _last_cells(part, tail)

    text = re.sub(r"\S+", lambda found: cut(found.group(), word), text)
    return cut(text, whole)


def _first_cells(text: str, cells: int) -> str:
    from rich.cells import set_cell_size

    return set_cell_size(text, cells).rstrip()


def _last_cells(text: str, cells: int) -> str:
    return _first_cells(text[::-1], cells)[::-1]
