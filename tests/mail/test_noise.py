"""classify: which mail may be answered automatically, and what the rest is."""

from __future__ import annotations

import pytest

from helpdesk_tui.mail.noise import Noise, classify, should_acknowledge
from helpdesk_tui.mail.parse import ParsedMessage, parse_message

OWN = {"support@example.com", "Billing@Example.com"}


def mail(*headers: str, body: str = "Hello, my printer is on fire.") -> ParsedMessage:
    has_from = any(header.lower().startswith("from:") for header in headers)
    head = list(headers) if has_from else ["From: Customer <customer@example.org>", *headers]
    raw = "\r\n".join([*head, "Subject: help", "", body, ""]).encode()
    return parse_message(raw, max_attachment_bytes=1_000_000)


def kind(parsed: ParsedMessage, blocked: list[str] | None = None) -> Noise:
    return classify(parsed, own_addresses=OWN, blocked=blocked or [])


def test_a_person_writing_is_normal_and_acknowledged() -> None:
    noise = kind(mail())

    assert noise is Noise.NORMAL
    assert should_acknowledge(noise)


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated; owner-email=x@example.org",
        "Precedence: bulk",
        "Precedence: JUNK",
        "Precedence: list",
        "Precedence: auto_reply",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "X-Auto-Response-Suppress: All",
    ],
)
def test_auto_replies(header: str) -> None:
    noise = kind(mail(header))

    assert noise is Noise.AUTO_REPLY
    assert not should_acknowledge(noise)


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: no", "Auto-Submitted: No", "Precedence: first-class"]
)
def test_headers_that_say_a_person_wrote_it(header: str) -> None:
    assert kind(mail(header)) is Noise.NORMAL


@pytest.mark.parametrize(
    "headers",
    [
        ("From: MAILER-DAEMON@mx.example.net",),
        ("From: Mail Delivery System <MAILER-DAEMON>",),
        ("From: postmaster@example.org",),
        ("Return-Path: <>",),
        ("Return-Path: < >",),
        ("X-Failed-Recipients: gone@example.org",),
    ],
)
def test_bounces(headers: tuple[str, ...]) -> None:
    noise = kind(mail(*headers))

    assert noise is Noise.BOUNCE
    assert not should_acknowledge(noise)


def test_delivery_report_is_a_bounce_even_from_a_person_like_sender() -> None:
    raw = (
        b"From: Exchange <exchange@example.org>\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--r--\r\n"
    )
    parsed = parse_message(raw, max_attachment_bytes=1000)

    assert kind(parsed) is Noise.BOUNCE


def test_bounce_beats_auto_reply() -> None:
    assert kind(mail("From: MAILER-DAEMON@mx.example.net", "Auto-Submitted: auto-replied")) is (
        Noise.BOUNCE
    )


def test_null_sender_vacation_reply_is_an_auto_reply() -> None:
    """RFC 3834 responders send with a null Return-Path; that alone does not make a bounce."""
    assert kind(mail("Return-Path: <>", "Auto-Submitted: auto-replied")) is Noise.AUTO_REPLY


@pytest.mark.parametrize(
    "headers",
    [
        ("From: Support <SUPPORT@example.com>",),
        ("From: billing@example.com",),
        ("X-Helpdesk-Loop: helpdesk.example.com",),
    ],
)
def test_own_mail(headers: tuple[str, ...]) -> None:
    noise = kind(mail(*headers))

    assert noise is Noise.OWN
    assert not should_acknowledge(noise)


def test_own_beats_everything() -> None:
    parsed = mail(
        "From: support@example.com", "X-Spam-Flag: YES", "Return-Path: <>", "Precedence: bulk"
    )

    assert kind(parsed, blocked=["example.com"]) is Noise.OWN


@pytest.mark.parametrize(
    ("sender", "blocked"),
    [
        ("customer@example.org", ["CUSTOMER@example.org"]),
        ("customer@example.org", ["@Example.ORG"]),
        ("customer@example.org", ["example.org"]),
        ("customer@example.org", ["", "  example.org  "]),
    ],
)
def test_block_list(sender: str, blocked: list[str]) -> None:
    assert kind(mail(f"From: {sender}"), blocked=blocked) is Noise.SPAM


@pytest.mark.parametrize(
    "blocked",
    [
        ["other@example.org"],
        ["@mail.example.org"],
        ["ample.org"],
        ["customer@example.org.evil"],
        ["@"],
    ],
)
def test_block_list_does_not_overreach(blocked: list[str]) -> None:
    assert kind(mail("From: customer@example.org"), blocked=blocked) is Noise.NORMAL


def test_spam_flag() -> None:
    assert kind(mail("X-Spam-Flag: YES")) is Noise.SPAM
    assert kind(mail("X-Spam-Flag: NO")) is Noise.NORMAL


def test_spam_beats_bounce_and_auto_reply() -> None:
    assert kind(mail("X-Spam-Flag: yes", "Return-Path: <>", "Precedence: bulk")) is Noise.SPAM


def test_block_list_needs_a_sender_address() -> None:
    assert kind(mail("From: nobody"), blocked=["nobody"]) is Noise.NORMAL


def test_noise_values_are_stable_strings() -> None:
    """Stored in the database and shown in the UI."""
    assert [noise.value for noise in Noise] == ["normal", "auto_reply", "bounce", "own", "spam"]
