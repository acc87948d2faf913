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


# Combining marks piled on a character (Zalgo) and emoji joined by ZWJ, with real strings.

ZALGO = (
    "Z\u0334\u0321\u032a\u032b\u0356\u0325\u0314\u033f\u0303\u0308\u030f\u030e\u0360\u035d"
    "a\u0338\u0327\u0317\u0349\u0333\u031e\u0313\u0311\u0344\u0301\u0315"
    "l\u0336\u0322\u0330\u031d\u033c\u030a\u0306\u0313\u033f"
    "g\u0334\u0328\u0339\u031f\u033f\u030c\u0300"
    "o\u0337\u0327\u0339\u032c\u033e\u033d"
)


def unicodedata_nfd(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFD", text)


def _most_marks(text: str) -> int:
    import unicodedata

    most = run = 0
    for char in text:
        run = run + 1 if unicodedata.category(char) in {"Mn", "Me"} else 0
        most = max(most, run)
    return most


@pytest.mark.parametrize("single_line", [True, False])
def test_combining_marks_piled_on_a_character_are_capped(single_line: bool) -> None:
    from helpdesk_tui.safe_text import MAX_MARKS

    shown = clean(f"Re: {ZALGO} — {ZALGO}", single_line=single_line)
    assert _most_marks(ZALGO) > MAX_MARKS >= _most_marks(shown) >= 2
    assert "".join(c for c in shown if c.isascii()) == "Re: Zalgo  Zalgo"
    assert shown.startswith("Re: Z\u0334\u0321")  # (the first marks stay, in their order)
    thai_spam = "\u0e01" + "\u0e49" * 40  # ก with 40 tone marks
    assert clean(thai_spam) == "\u0e01" + "\u0e49" * MAX_MARKS


@pytest.mark.parametrize(
    "real",
    [
        "Tiếng Việt có dấu: Người đẹp, phở bò, ệ ặ ỗ",  # Vietnamese (composed)
        unicodedata_nfd("Tiếng Việt có dấu: Người đẹp, phở bò, ệ ặ ỗ"),  # (decomposed)
        "नमस्ते दुनिया — क़ीमत, हिन्दी, श्रृंखला, कृष्णं",  # Hindi
        "สวัสดีครับ ผู้ใหญ่ กั้น น้ำแข็ง",  # Thai: a vowel and a tone mark on one consonant
        "שָׁלוֹם עֲלֵיכֶם",  # Hebrew with points
        "👍🏽 👋🏿 🧑🏻‍💻 👩🏾‍🦰 1️⃣ #️⃣ 🇫🇷 🇯🇵 🏴󠁧󠁢󠁳󠁣󠁴󠁿",  # skin tones, keycaps, flags
        "👨‍👩‍👧‍👦 👩‍❤️‍👨 🏳️‍🌈 🏴‍☠️ 🐻‍❄️ 🏃‍♀️ 👁️‍🗨️",  # joined by ZWJ
    ],
)
@pytest.mark.parametrize("single_line", [True, False])
def test_real_scripts_and_emoji_sequences_are_shown_as_written(
    real: str, single_line: bool
) -> None:
    assert clean(real, single_line=single_line) == real


def test_a_joiner_in_a_name_or_subject_stays_only_between_two_emoji() -> None:
    """Single-line text (and names and subjects as stored) loses a zero-width joiner that
    could make two names look alike, but keeps one that joins two emoji (a family, a
    rainbow flag, which it split into their parts). Bodies keep every joiner, as before
    (scripts such as Devanagari and Malayalam need them)."""
    from helpdesk_tui.safe_text import without_invisibles

    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    for text in (lambda t: clean(t, single_line=True), without_invisibles):
        assert text(f"{family} ad\u200dmin") == f"{family} admin"
        assert text("\U0001f44d\u200da x\u200d\U0001f44d \u200d!") == "\U0001f44da x\U0001f44d !"
        assert text("paypa\u200dl\u200d.com") == "paypal.com"
    devanagari = "\u0915\u094d\u200d\u0937"  # क्‍ष: the half form asked for by ZWJ
    assert clean(devanagari) == devanagari


def test_a_non_joiner_in_a_name_or_subject_stays_where_it_shapes_letters() -> None:
    """ZWNJ (U+200C) writes Persian and Indic words: it keeps two letters that would join
    apart (Persian "mi-khaham", I want: the prefix mi stays unjoined) or stops a conjunct
    after a virama (Hindi k-virama-ssa). Single-line text dropped it everywhere and so
    changed those words; it still drops one that shapes nothing (between Latin letters, after a
    letter that never joins), where it only makes two names look alike."""
    from helpdesk_tui.safe_text import without_invisibles

    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # mi-khaham
    with_a_mark = "\u0646\u0645\u06cc\u064e\u200c\u062e\u0648\u0627\u0647\u0645"  # a fatha first
    hindi = "\u0915\u094d\u200c\u0937"  # no conjunct
    for text in (lambda t: clean(t, single_line=True), without_invisibles):
        for written in (persian, with_a_mark, hindi, f"Re: {persian} — {hindi}"):
            assert text(written) == written
        assert text("ad\u200cmin pay\u200cpal") == "admin paypal"
        assert text("\u0627\u200c\u0628") == "\u0627\u0628"  # alef joins nothing after it
        assert text("\u200c\u062e \u0645\u06cc\u200c") == "\u062e \u0645\u06cc"
        # A joiner between two emoji (Unicode's Extended_Pictographic), not between arrows.
        assert text("\U0001f3c3\u200d\u2640\ufe0f \u2190\u200d\u2192") == (
            "\U0001f3c3\u200d\u2640\ufe0f \u2190\u2192"
        )
