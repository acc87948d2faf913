"""The limited RTF reader for Outlook's RTF-only bodies: text runs, breaks, code pages,
Unicode, and what is not text left out; hostile input met by limits."""

from __future__ import annotations

from helpdesk_tui.mail.rtf_text import rtf_body, rtf_to_text


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


def test_rtf_that_wraps_html_gives_back_the_html() -> None:
    doc = (
        rb"{\rtf1\ansi\ansicpg1251\fromhtml1 {\fonttbl{\f0 Arial;}}{\*\htmltag19 <html>}"
        rb"{\*\htmltag241 a \{ b \}\par c}\htmlrtf {\b hidden\par}\htmlrtf0 \'cf\u8364?"
        rb"{\*\mhtmltag84 <img src=x>}{\*\unknown nothing}{\*\htmltag27 </html>}}"
    )
    assert rtf_body(doc) == ("<html>a { b }\r\nc\u041f\u20ac</html>", True)


def test_only_fromhtml_in_the_header_makes_it_html() -> None:
    plain = rb"{\rtf1\ansi {\*\htmltag19 <b>}text\htmlrtf  kept\par}"
    assert rtf_body(plain) == ("text kept", False)
    nested = rb"{\rtf1 {\fromhtml1 x}{\*\htmltag19 <b>}y}"
    assert rtf_body(nested) == ("xy", False)
    escaped = rb"{\rtf1 \\fromhtml1 {\*\htmltag19 <b>}y}"
    assert rtf_body(escaped) == ("\\fromhtml1 y", False)
    assert rtf_body(rb"{\rtf1\fromhtml0 {\*\htmltag19 <b>}y}") == ("y", False)


def test_limits_hold_for_html_too() -> None:
    head = rb"{\rtf1\fromhtml1 "
    deep = b"{" * 5000 + rb"{\*\htmltag1 <deep>}" + b"}" * 5000
    assert rtf_body(head + rb"{\*\htmltag1 <p>}" + deep + b"}") == ("<p>", True)
    tags = rb"{\*\htmltag1 <b>}" * 100
    assert rtf_body(head + tags + b"}", max_chars=10) == ("<b><b><b><", True)
    assert rtf_body(head + tags + b"}", max_bytes=len(head) + 20) == ("<b>", True)
    assert rtf_body(head + rb"\htmlrtf99999999999 x\htmlrtf0 y}") == ("y", True)
