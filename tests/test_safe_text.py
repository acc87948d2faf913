from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.text import Text

from helpdesk_tui.safe_text import clamped, clean, plain, shortened


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[2Jb", "ab"),
        ("copy\x1b]52;c;ZXZpbA==\x07me", "copyme"),
        ("link\x1b]8;;file:///etc/passwd\x1b\\x\x1b]8;;\x1b\\", "linkx"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("bell\x07\x00nul", "bellnul"),
        ("c1\x9b31mred", "c1red"),
        ("multi\nline\ttext", "multi line text"),
    ],
)
def test_clean_removes_sequences(raw: str, shown: str) -> None:
    assert clean(raw, single_line=True) == shown


def test_markup_stays_literal() -> None:
    text = plain("[bold red]pwn[/] [link=file:///etc/passwd]x[/link]")
    assert text.plain == "[bold red]pwn[/] [link=file:///etc/passwd]x[/link]"
    assert not text.spans


def test_bodies_keep_newlines() -> None:
    assert clean("line one\r\nline two\x1b[31m", single_line=False) == "line one\nline two"


def test_single_line_text_loses_invisible_characters() -> None:
    assert clean("ad\u200bmi\u2060n\ufeff \u202eX\u2066", single_line=True) == "admin X"


def test_bodies_keep_joiners_but_lose_bidi_controls() -> None:
    family = "\U0001f468\u200d\U0001f469"
    assert clean(f"{family}\u202e", single_line=False) == family


def test_undecodable_bytes_show_as_replacement_characters() -> None:
    assert clean("bad \udc9b31m byte") == "bad \ufffd31m byte"


def test_clamped_text_takes_at_most_its_lines_and_says_it_was_cut() -> None:
    long = plain("漢字 " * 40 + "Y" * 10_000, "bold")
    shown = clamped(long, 27, 2)
    lines = shown.plain.split("\n")
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(Text(line).cell_len <= 27 for line in lines)
    assert shown.spans and shown.spans[0].style == "bold"  # (styles kept)


def test_text_that_fits_is_not_clamped() -> None:
    short = plain("Printer on fire")
    assert clamped(short, 27, 1) is short
    two_lines = plain("word " * 10)  # 49 cells: two lines of 27
    assert clamped(two_lines, 27, 2) is two_lines


def test_shortened_cuts_each_long_word_and_then_the_whole_in_the_middle() -> None:
    assert shortened("no team 'Service Desk'") == "no team 'Service Desk'"
    word = shortened("not a usable tag: '" + "x" * 3000 + "'", word=20)
    assert word.startswith("not a usable tag: 'xxx") and word.endswith("xx'")
    assert cell_len(word.split()[-1]) == 20 and "…" in word
    wide = shortened("'" + "漢字" * 500 + "'", word=21)
    assert cell_len(wide) <= 21 and wide.startswith("'漢") and wide.endswith("字'")
    blanks = shortened("Invalid value: '" + "ab " * 1000 + "' is not a date.", whole=80)
    assert cell_len(blanks) <= 80 and blanks.endswith("' is not a date.")
