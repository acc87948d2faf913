"""The limited RTF reader for Outlook's RTF-only bodies: text runs, breaks, code pages,
Unicode, and what is not text left out; hostile input met by limits."""

from __future__ import annotations

from helpdesk_tui.mail.rtf_text import rtf_to_text


def test_text_breaks_and_characters() -> None:
    doc = (
        rb"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Arial;}}{\*\generator x;}"
        rb"\uc1 \'cf\'f0\'e8\'e2\'e5\'f2\par a\tab b\line c\u8364?d\u-10179?\u-8704?e\~f}"
    )
    assert rtf_to_text(doc) == "Привет\na\tb\nc€d\U0001f600e\u00a0f"


def test_what_is_not_text_is_left_out() -> None:
    doc = (
        rb"{\rtf1{\info{\title Secret title}{\author Eve}}{\stylesheet{\s1 Heading;}}"
        rb"{\header Page header}{\pict\pngblip 89504e47}{\*\unknowndest hidden}"
        rb"{\field{\*\fldinst{HYPERLINK x}}{\fldrslt{shown}}} visible"
        rb"\bin6 {{{}}}\par! after binary}"
    )
    assert rtf_to_text(doc) == "shown visible\n! after binary"


def test_limits_on_nesting_size_and_output() -> None:
    deep = b"{" * 5000 + b"too deep" + b"}" * 5000
    assert rtf_to_text(rb"{\rtf1 top " + deep + b" end}") == "top  end"
    assert rtf_to_text(rb"{\rtf1 " + b"x" * 1000 + b"}", max_chars=10) == "x" * 10
    assert rtf_to_text(rb"{\rtf1 " + b"y" * 1000 + b"}", max_bytes=17) == "y" * 10
    assert rtf_to_text(b"\\") == "" and rtf_to_text(b"{\\rtf1 \\u99999?}") == ""
