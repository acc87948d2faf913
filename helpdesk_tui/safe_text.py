"""Making text from outside safe to put on a terminal.

Subjects, names, bodies and file names come from strangers. Rich markup in them must stay
literal (so they are only ever put in ``rich.text.Text``), and escape sequences, control
characters and bidi overrides must never reach the terminal raw.
"""

from __future__ import annotations

import re

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
# C0 and C1 controls except tab and newline; DEL; bidi embedding/override/isolate controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def clean(text: str, *, single_line: bool = False) -> str:
    """``text`` with escape sequences and control characters removed.

    ``single_line`` also folds newlines and tabs to spaces (subjects, names, file names).
    """
    text = _ESCAPE_SEQUENCE.sub("", text.replace("\r\n", "\n"))
    text = _CONTROL.sub("", text)
    if single_line:
        text = " ".join(text.split())
    return text


def plain(text: str | None, style: str = "", *, single_line: bool = True) -> Text:
    """A ``Text`` that shows ``text`` literally: no markup, no escapes."""
    return Text(clean(text or "", single_line=single_line), style=style)
