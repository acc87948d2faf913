"""Subjects: every ticket token, reply prefixes in many languages, one Re: and one token out."""

from __future__ import annotations

import pytest

from helpdesk_tui.desk.subjects import (
    base_subject,
    newest_first,
    reply_subject,
    same_subject,
    strip_prefixes,
    ticket_tokens,
    tokens_newest_first,
)

# --- tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Printer on fire", []),
        ("Re: Printer on fire [#1042]", [1042]),
        ("[#2] Received: Re: Printer [#1]", [2, 1]),
        ("Re: [#7] about [#3] and [#7] again", [7, 3]),
        ("[#1][#2][#3]", [1, 2, 3]),
        ("Order #12 and [# 13] and [#abc] and [#1234567890123]", []),
        ("AW: [#000042] Drucker", [42]),
    ],
)
def test_every_token_in_the_order_it_stands(subject: str, expected: list[int]) -> None:
    assert ticket_tokens(subject) == expected


def test_newest_ticket_is_tried_first_wherever_its_token_stands() -> None:
    # A reply to an acknowledgement of ticket #2, whose customer quoted #1 in the subject.
    assert tokens_newest_first("Re: [#2] Received: Re: Printer [#1]") == [2, 1]
    assert tokens_newest_first("Re: Printer [#1] [#25] [#3]") == [25, 3, 1]
    assert newest_first([4, 9, 4, 1]) == [9, 4, 1]
    assert tokens_newest_first("no token") == []


# --- prefixes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefixed",
    [
        "Re: Printer",
        "RE: Printer",
        "re:Printer",
        "Fwd: Printer",
        "FW: Printer",
        "Fw: Printer",
        "AW: Printer",  # de
        "WG: Printer",  # de
        "SV: Printer",  # sv, da, no
        "VS: Printer",  # fi
        "VL: Printer",  # fi
        "Odp: Printer",  # pl
        "PD: Printer",  # pl
        "Réf. : Printer",  # fr, with the space French puts before a colon
        "RE : Printer",
        "TR: Printer",  # fr
        "RIF: Printer",  # it
        "R: Printer",  # it
        "I: Printer",  # it
        "Antw: Printer",  # nl
        "Doorst: Printer",  # nl
        "RV: Printer",  # es
        "ENC: Printer",  # pt
        "Ynt: Printer",  # tr
        "İLT: Printer",  # tr
        "Vá: Printer",  # hu
        "Απ: Printer",  # el
        "ΑΠ: Printer",  # el, upper case
        "Σχετ: Printer",  # el
        "Ответ: Printer",  # ru
        "Пересл: Printer",  # ru
        "回复: Printer",  # zh
        "回复\uff1aPrinter",  # zh, full-width colon
        "答复: Printer",  # zh
        "转发: Printer",  # zh
        "轉寄: Printer",  # zh-tw
        "返信: Printer",  # ja
        "転送: Printer",  # ja
        "회신: Printer",  # ko
        "رد: Printer",  # ar
        "השב: Printer",  # he
        "Re[2]: Printer",
        "RE(3): Printer",
        "Re^2: Printer",
        "Re: AW: Fwd: SV: Printer",
        "Re:Re:Re:Re: Printer",
        "RE: TR : Vá: 回复\uff1a Printer",
        "[Fwd: Printer]",
        "Re: [Fwd: Printer]",
        "Printer (fwd)",
        "  Re:   Printer  ",
    ],
)
def test_reply_and_forward_prefixes_are_stripped(prefixed: str) -> None:
    assert strip_prefixes(prefixed) == "Printer"
    assert same_subject(prefixed, "printer")


@pytest.mark.parametrize(
    "subject",
    [
        "Printer",
        "Rechnung: März",  # a colon in the subject is not a prefix
        "Ref: order 123",  # English "Ref:" names a reference, it is no reply prefix
        "Reply needed: printer",
        "Regarding: printer",
        "Invoice 2024: RE-issue",
        "[URGENT] printer",
        "Re",
    ],
)
def test_subjects_without_prefixes_stay(subject: str) -> None:
    assert strip_prefixes(subject) == subject


def test_tags_in_front_stay_once_and_prefixes_behind_them_go() -> None:
    assert strip_prefixes("[EXT] Re: [EXT] AW: Printer") == "[EXT] Printer"
    assert strip_prefixes("Re: Fwd: [EXT] Re: Printer") == "[EXT] Printer"
    # Tokens are tags here; base_subject drops them.
    assert strip_prefixes("Re: [#2] Re: Printer [#1]") == "[#2] Printer [#1]"


def test_base_subject_drops_tokens_prefixes_and_the_old_acknowledgement_marker() -> None:
    assert base_subject("Re: Re: Printer on fire [#12]") == "Printer on fire"
    assert base_subject("[#2] Received: Re: Printer [#1]") == "Printer"
    assert base_subject("AW: [#2] Received: Re: Printer [#1]") == "Printer"
    assert base_subject("Re: Received: the goods") == "Received: the goods"
    assert base_subject("[#5]") == ""
    assert base_subject("Re:  two \t spaces\n[#5]") == "two spaces"


def test_same_subject() -> None:
    assert same_subject("AW: Drucker brennt [#7]", "Re: DRUCKER  brennt")
    assert not same_subject("Re: Printer", "Re: Scanner")


# --- what goes out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incoming", "expected"),
    [
        ("Printer on fire", "Re: Printer on fire [#2]"),
        ("Re: Printer on fire", "Re: Printer on fire [#2]"),
        ("Re: Re: Re: Printer on fire", "Re: Printer on fire [#2]"),
        ("Re: Printer on fire [#2]", "Re: Printer on fire [#2]"),
        ("[#2] Received: Re: Printer on fire [#1]", "Re: Printer on fire [#2]"),
        ("Re: [#2] Received: Re: Printer on fire [#1]", "Re: Printer on fire [#2]"),
        ("AW: WG: Printer on fire [#1] [#2]", "Re: Printer on fire [#2]"),
        ("回复\uff1a打印机着火了", "Re: 打印机着火了 [#2]"),
        ("", "Re: [#2]"),
        ("Re:", "Re: [#2]"),
    ],
)
def test_reply_subject_has_one_re_and_one_token(incoming: str, expected: str) -> None:
    assert reply_subject(incoming, 2) == expected


def test_reply_subject_is_stable_through_a_long_exchange() -> None:
    subject = "Printer on fire"
    for _ in range(5):
        ours = reply_subject(subject, 9)
        subject = f"AW: {ours}"  # the customer's client adds its prefix again
    assert ours == "Re: Printer on fire [#9]"
    assert ticket_tokens(ours) == [9]
