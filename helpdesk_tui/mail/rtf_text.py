"""Plain text out of RTF (an Outlook message body that only has RTF), limited and linear.

Not a renderer: it keeps the text runs, paragraph and line breaks, tabs, ``\\'hh`` bytes in
the document's code page and ``\\uN`` characters, and leaves out every destination that is
not text (font and colour tables, style sheets, document info, pictures, objects, fields'
instructions, headers and footers, and anything behind ``\\*``). Hostile input is met with
limits, not trust: the input is cut at ``max_bytes``, groups nested deeper than
``max_depth`` are skipped, the output stops at ``max_chars``, and one regular expression
without backtracking reads each token once (``striprtf``, the package that would fit,
takes 38 s for 66 kB of repeated ``{\\field`` openers: its link pattern backtracks).

Outlook also keeps an HTML message as RTF that wraps it (``\\fromhtml1``, [MS-OXRTFEX]):
:func:`rtf_body` gives such a document back as its HTML — the ``{\\*\\htmltag…}`` groups
and the text between them, without what ``\\htmlrtf`` marks as there for RTF readers only —
under the same limits, for the desk's HTML-to-text path. (``RTFDE`` does this too, but is
LGPL and builds a parse tree of the whole document.)
"""

from __future__ import annotations

import re

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_CHARS = 4 * 1024 * 1024

_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?[0-9]{1,10})? ?"  # a control word and its parameter
    rb"|\\'([0-9a-fA-F]{2})"  # a byte in the code page
    rb"|\\([^a-zA-Z'])"  # a control symbol
    rb"|([{}])"
    rb"|[\r\n]+"  # line ends in the source mean nothing
    rb"|([^\\{}\r\n]+)"  # plain text
    rb"|(\\)",  # a lone backslash at the end
)

_SKIPPED = frozenset(
    {
        "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "objdata", "header",
        "headerl", "headerr", "headerf", "footer", "footerl", "footerr", "footerf",
        "listtable", "listoverridetable", "rsidtbl", "generator", "xmlnstbl", "themedata",
        "colorschememapping", "latentstyles", "datastore", "fldinst", "filetbl", "revtbl",
        "pntext", "pntxta", "pntxtb", "bkmkstart", "bkmkend", "template", "nonshppict",
        "shppict", "userprops", "docvar", "mmathPr", "fchars", "lchars", "datafield",
    }
)  # fmt: skip
"""Destinations that hold no text of the message."""

_BREAKS = {"par": "\n", "line": "\n", "sect": "\n\n", "page": "\n\n", "row": "\n"}
_CHARACTERS = {
    "tab": "\t",
    "cell": "\t",
    "emdash": "\u2014",
    "endash": "\u2013",
    "bullet": "\u2022",
    "lquote": "\u2018",
    "rquote": "\u2019",
    "ldblquote": "\u201c",
    "rdblquote": "\u201d",
    "emspace": " ",
    "enspace": " ",
}
_SYMBOLS = {"~": "\u00a0", "_": "\u2011", "\\": "\\", "{": "{", "}": "}"}


def rtf_to_text(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_chars: int = MAX_CHARS,
) -> str:
    """The text of an RTF document (bytes as found), within the limits."""
    return _tidy(_read(data, max_bytes, max_depth, max_chars, html=False)[0])


def rtf_body(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_chars: int = MAX_CHARS,
) -> tuple[str, bool]:
    """An RTF document's body, within the limits: ``(html, True)`` for RTF that wraps HTML
    (``\\fromhtml1`` in its header), else ``(text, False)`` as :func:`rtf_to_text` reads."""
    out, html = _read(data, max_bytes, max_depth, max_chars, html=True)
    return (_joined(out), True) if html else (_tidy(out), False)


def _read(
    data: bytes, max_bytes: int, max_depth: int, max_chars: int, *, html: bool
) -> tuple[str, bool]:
    """The document's text, or its HTML when ``html`` is allowed and it wraps HTML; and
    whether it was HTML. One pass, one token at a time."""
    data = data[:max_bytes]
    wraps_html = False  # \fromhtml1 seen in the header: tags and text between them count
    hidden = False  # \htmlrtf: there for RTF readers only, not part of the HTML
    out: list[str] = []
    size = 0
    pending = bytearray()  # ``\\'hh`` bytes, decoded together (a DBCS character is two)
    codepage = "cp1252"
    # Per open group: (skipped, unicode skip count, \htmlrtf); deeper than max_depth: skipped.
    stack: list[tuple[bool, int, bool]] = []
    skipped, uc = False, 1
    to_skip = 0  # characters after ``\\uN`` that stand in for it in older readers
    star = False  # ``\\*``: the next control word opens a destination nobody must show
    first_word = False  # just after ``{``: the group's first control word names it

    def flush() -> None:
        if pending:
            emit(bytes(pending).decode(codepage, "replace"))
            pending.clear()

    def emit(text: str) -> None:
        nonlocal size
        if not skipped and not hidden and size < max_chars:
            out.append(text[: max_chars - size])
            size += len(text)

    at = 0
    end = len(data)
    while at < end and size < max_chars:
        match = _TOKEN.match(data, at)
        if match is None:  # pragma: no cover - every byte matches one branch
            break
        at = match.end()
        word, parameter, hexbyte, symbol, brace, text, _lone = match.groups()
        if hexbyte is not None:
            if to_skip:
                to_skip -= 1
            elif not skipped and not hidden:
                pending.append(int(hexbyte, 16))
            first_word = False
            continue
        flush()
        if brace == b"{":
            stack.append((skipped, uc, hidden))
            if len(stack) > max_depth:
                skipped = True
            first_word, star, to_skip = True, False, 0
            continue
        if brace == b"}":
            if stack:
                skipped, uc, hidden = stack.pop()
            first_word, star, to_skip = False, False, 0
            continue
        if word is not None:
            name = word.decode("ascii")
            if wraps_html and star and name == "htmltag":
                pass  # {\*\htmltagN ...}: a piece of the HTML, kept as it is
            elif star or (first_word and name in _SKIPPED):
                skipped = True
            star = first_word = False
            if wraps_html and name == "htmlrtf":
                hidden = parameter is None or int(parameter) != 0
            elif name == "fromhtml" and html and len(stack) == 1 and parameter == b"1":
                wraps_html = True
            elif name == "bin" and parameter is not None:
                at += max(0, int(parameter))  # raw bytes: never read as RTF
            elif name == "ansicpg" and parameter is not None:
                codepage = _codepage(int(parameter), codepage)
            elif name == "uc" and parameter is not None:
                uc = max(0, min(int(parameter), 10))
            elif name == "u" and parameter is not None:
                value = int(parameter)
                emit(chr(value + 65536 if value < 0 else value) if -32768 <= value < 65536 else "")
                to_skip = uc
            elif name in _BREAKS:
                emit("\r\n" if wraps_html and name in ("par", "line") else _BREAKS[name])
            elif name in _CHARACTERS:
                emit(_CHARACTERS[name])
            continue
        if symbol is not None:
            char = symbol.decode("latin-1")
            if char == "*":
                star = True
                continue
            first_word = False
            if to_skip:
                to_skip -= 1
            elif char in _SYMBOLS:
                emit(_SYMBOLS[char])
            continue
        first_word = False
        if text is not None:
            chunk = text.decode("latin-1")
            if to_skip:
                taken = min(to_skip, len(chunk))
                chunk, to_skip = chunk[taken:], to_skip - taken
            if chunk and not skipped and not hidden:
                pending.extend(chunk.encode("latin-1"))
    flush()
    return "".join(out)[:max_chars], wraps_html


def _codepage(number: int, current: str) -> str:
    name = "utf-8" if number == 65001 else f"cp{number}"
    try:
        "".encode(name)
    except LookupError:
        return current
    return name


def _joined(text: str) -> str:
    """Pairs of ``\\uN`` surrogates joined into the characters they stand for."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _tidy(text: str) -> str:
    """Pairs of ``\\uN`` surrogates joined, line ends trimmed, runs of blank lines one."""
    text = _joined(text)
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
