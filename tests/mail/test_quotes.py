"""split_reply: what is new in a reply, and what only repeats the thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui.mail.quotes import own_words, split_reply


def content(text: str) -> list[str]:
    """The non-blank lines, in order, without trailing whitespace."""
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def read(mail_corpus: Path, name: str) -> str:
    return (mail_corpus / "email-reply-parser" / name).read_text(encoding="utf-8")


def test_every_corpus_reply(reply_parser_file: Path) -> None:
    """Never crash, always show new text, and lose no line between the two parts."""
    text = reply_parser_file.read_text(encoding="utf-8")
    visible, folded = split_reply(text)

    assert visible.strip()
    assert content(visible) + content(folded) == content(text)


@pytest.mark.parametrize(
    ("name", "visible"),
    [
        ("email_1_3.txt", "Oh thanks.\n\nHaving the function would be great.\n\n-Abhishek Kona"),
        ("email_1_4.txt", "Awesome! I haven't had another problem with it."),
        ("email_1_7.txt", ":+1:"),
        ("email_2_1.txt", "Outlook with a reply"),
        ("email_2_2.txt", "Outlook with a reply directly above line"),
        ("email_2_3.txt", "Outlook with a reply above headers using unusual format"),
        ("email_BlackBerry.txt", "Here is another email"),
        ("email_iPhone.txt", "Here is another email"),
        ("email_multi_word_sent_from_my_mobile_device.txt", "Here is another email"),
        ("email_gmail.txt", "This is a test for inbox replying to a github message."),
        ("email_headers_no_delimiter.txt", "And another reply!"),
        ("correct_sig.txt", "this is an email with a correct -- signature."),
        (
            "pathological.txt",
            "I think you're onto something. I will try to fix the problem as soon as I\n"
            "get back to a computer.",
        ),
    ],
)
def test_corpus_visible_text(mail_corpus: Path, name: str, visible: str) -> None:
    assert split_reply(read(mail_corpus, name))[0] == visible


@pytest.mark.parametrize(
    "name",
    [
        "email_1_5.txt",  # bullets starting with "-"
        "email_sent_from_my_not_signature.txt",
        "email_sig_delimiter_in_middle_of_line.txt",
    ],
)
def test_corpus_replies_with_nothing_to_fold(mail_corpus: Path, name: str) -> None:
    text = read(mail_corpus, name)

    assert split_reply(text) == (text.strip(), "")


def test_corpus_multi_line_attribution(mail_corpus: Path) -> None:
    visible, folded = split_reply(read(mail_corpus, "email_1_6.txt"))

    assert visible == "I get proper rendering as well.\n\nSent from a magnificent torch of pixels"
    assert folded.startswith("On Dec 16, 2011, at 12:47 PM, Corey Donohoe\n<reply@")


def test_corpus_lines_starting_with_on_are_not_attributions(mail_corpus: Path) -> None:
    for name in ("email_partial_quote_header.txt", "greedy_on.txt"):
        visible, folded = split_reply(read(mail_corpus, name))
        assert visible.startswith("On your remote host you can run:")
        assert visible.endswith("fails, the tunnel is not working.")
        assert folded.startswith("On 9 Jan 2014, at 2:47, George Plymale wrote:")


def test_corpus_one_is_not_on(mail_corpus: Path) -> None:
    visible, _ = split_reply(read(mail_corpus, "email_one_is_not_on.txt"))

    assert visible.endswith("Locally (on development), when I run...")


def test_corpus_mailing_list_footer_and_signature(mail_corpus: Path) -> None:
    visible, folded = split_reply(read(mail_corpus, "email_1_1.txt"))
    assert visible.endswith("-Abhishek Kona")
    assert folded.startswith("_____")

    visible, folded = split_reply(read(mail_corpus, "email_bullets.txt"))
    assert visible.endswith("   - and another")
    assert folded.endswith("*Joe Smith | Director, Product Management*")


def test_corpus_inline_answers_stay_visible(mail_corpus: Path) -> None:
    visible, folded = split_reply(read(mail_corpus, "email_1_8.txt"))

    assert "I will reply under this one" in visible
    assert visible.endswith("and under this.")
    assert folded.endswith("--\nHey there, this is my signature")
    assert "> -- Tim" in folded


def test_bottom_post_keeps_greeting_and_answer(mail_corpus: Path) -> None:
    visible, folded = split_reply(read(mail_corpus, "email_1_2.txt"))

    assert visible.startswith("Hi,\nOn Tue, 2011-03-01")
    assert "You can list the keys for the bucket" in visible
    assert "riak-users mailing list" not in visible
    assert folded.startswith("> \n> -Abhishek Kona")


# --- cases of our own ------------------------------------------------------------------


def test_no_quote_at_all() -> None:
    assert split_reply("Just a question.\nThanks") == ("Just a question.\nThanks", "")


def test_empty_and_blank() -> None:
    assert split_reply("") == ("", "")
    assert split_reply("\n \n") == ("", "")


def test_only_a_quote() -> None:
    assert split_reply("> old text\n> more") == ("", "> old text\n> more")


def test_gmail_top_post_with_crlf() -> None:
    text = "Thanks!\r\n\r\nOn Mon, 4 Mar 2024 at 10:00, Support <s@example.com> wrote:\r\n> Hi\r\n"

    assert split_reply(text) == (
        "Thanks!",
        "On Mon, 4 Mar 2024 at 10:00, Support <s@example.com> wrote:\n> Hi",
    )


@pytest.mark.parametrize(
    "attribution",
    [
        "Am 04.03.2024 um 10:00 schrieb Support <s@example.com>:",
        "Am 04.03.2024 um 10:00 schrieb Support:",
        "Op 4 mrt. 2024 om 10:00 schreef Support:",
        "Den 4 mars 2024 kl. 10:00 skrev Support:",
        "Le 4 mars 2024 à 10:00, Support <s@example.com> a écrit :",
        "2024-03-04 10:00 GMT+01:00 Support <s@example.com>:",
    ],
)
def test_other_clients_attributions(attribution: str) -> None:
    visible, folded = split_reply(f"Danke!\n\n{attribution}\n> Hallo\n")

    assert visible == "Danke!"
    assert folded.startswith(attribution)


def test_outlook_original_message() -> None:
    text = "Works now.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nTry this."

    assert split_reply(text)[0] == "Works now."


def test_german_outlook_header_block() -> None:
    text = (
        "Danke, erledigt.\n\n"
        "Von: Support <s@example.com>\nGesendet: Montag, 4. März 2024 10:00\n"
        "An: kunde@example.org\nBetreff: AW: [#42] Drucker\n\nAlter Text"
    )

    assert split_reply(text) == (
        "Danke, erledigt.",
        text[len("Danke, erledigt.\n\n") :],
    )


def test_forwarded_message_is_content_not_history() -> None:
    text = (
        "Please look at the mail below.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Vendor <v@example.net>\nDate: Mon, 4 Mar 2024 at 10:00\n"
        "Subject: Your licence\n\nYour licence expires tomorrow."
    )

    assert split_reply(text) == (text, "")


def test_unquoted_history_after_on_wrote() -> None:
    text = "Yes.\n\nOn Mon, 4 Mar 2024, Support wrote:\nDid it work?\n"

    assert split_reply(text) == ("Yes.", "On Mon, 4 Mar 2024, Support wrote:\nDid it work?")


def test_on_wrote_needs_a_date() -> None:
    text = "On the other hand my colleague wrote:\nit is broken too."

    assert split_reply(text) == (text, "")


def test_a_divider_above_long_text_is_not_a_footer() -> None:
    text = "Problem:\n_____\n" + "\n".join(f"detail {n}" for n in range(10))

    assert split_reply(text) == (text, "")


def test_signature_after_quote_and_mobile_line() -> None:
    text = "Fixed it.\n\n-- \nAda\nAnalytical Engines Ltd\n\nSent from my iPhone"

    assert split_reply(text) == (
        "Fixed it.",
        "-- \nAda\nAnalytical Engines Ltd\n\nSent from my iPhone",
    )


def test_huge_input_is_fast_enough() -> None:
    text = "new text\n" + "> quoted line\n" * 50_000 + "-- \n" + "x" * 100_000

    visible, folded = split_reply(text)

    assert visible == "new text"
    assert folded.endswith("x" * 100_000)


@pytest.mark.parametrize(
    "text",
    [
        "5\n\nGreat help\n\nOn Monday, 4 Dec 2026, Help Desk wrote:\n> How did we do?",
        # something after the quote keeps it (and its attribution) in split_reply's new text
        "5\n\nGreat help\n\nOn Monday, 4 Dec 2026, Help Desk wrote:\n> How did we do?\n\n"
        "Confidential: for the addressee only.",
        "5\n\nGreat help\n\nAm 04.12.2026 um 10:00 schrieb Help Desk:\n> Wie war es?\n\n-- \nAnn",
        "5\n\nGreat help\nOn Monday, 4 Dec 2026 at 10:00, Help Desk <\nhelp@desk.test> wrote:\n"
        ">\n> How did we do?\n\nSent by the Acme mail gateway",
        "5\n\nGreat help\n\n________________________________\nFrom: Help Desk <help@desk.test>\n"
        "Sent: Monday, 4 December 2026 10:00\nTo: ann@example.org\n\nHow did we do?",
    ],
)
def test_own_words_leave_out_the_quote_and_its_attribution(text: str) -> None:
    assert own_words(text) == "5\n\nGreat help"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "On Mon, 4 Dec 2026, Help Desk <help@acme.test> wrote:\n> How did we do?\n"
            "> Reply with a number from 1 to 5.\n\n5, quick and kind\n\n-- \nAnn\n",
            "5, quick and kind",
        ),
        ("> How did we do?\n\n\n4\n\n\nthanks\n", "4\n\nthanks"),
        ("> How did we do?\n3\n> Anything else?\nThe printer again.\n", "3\nThe printer again."),
    ],
)
def test_own_words_of_a_reply_below_the_quote_are_its_lines_after_it(text: str, words: str) -> None:
    """Bottom-posted (or interleaved): nothing above the quote but its attribution."""
    assert own_words(text) == words


def test_own_words_keep_a_quote_free_reply_whole() -> None:
    text = "4\n\nQuick, and on 4 Dec the printer worked again."

    assert own_words(text) == text


def test_the_quoted_message_and_its_date_are_recovered() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from helpdesk_tui.mail.quotes import attribution_date, quoted_message

    found = quoted_message(
        "Fixed.\n\nOn Mon, 23 Nov 2026 at 09:00, Carl <carl@example.net> wrote:\n"
        "> It breaks.\n>> older\n\n-- \nDesk\n"
    )
    assert found is not None
    assert (found.text, found.address) == ("It breaks.\n> older", "carl@example.net")
    assert attribution_date(found.attribution) == datetime(2026, 11, 23, 9, tzinfo=UTC)
    cet = timezone(timedelta(hours=1))
    cases = {
        "On Mon, Nov 23, 2026 at 9:05 PM Carl <c@x.org> wrote:": datetime(
            2026, 11, 23, 21, 5, tzinfo=cet
        ),
        "Am 4.12.2026 um 10:00 schrieb Help Desk:": datetime(2026, 12, 4, 10, tzinfo=cet),
        "2014-01-09 2:47 GMT+01:00 George <g@example.org>:": datetime(
            2014, 1, 9, 2, 47, tzinfo=cet
        ),
        "Le lun. 23 nov. 2026 à 09:00, Carl <c@x.org> a écrit :": datetime(
            2026, 11, 23, 9, tzinfo=cet
        ),
    }
    for line, expected in cases.items():
        assert attribution_date(line, cet) == expected, line
    for unclear in ("On 11/23/26 09:00, Carl wrote:", "On 31 Feb 2026, Carl wrote:", "Hi:"):
        assert attribution_date(unclear) is None, unclear
    assert quoted_message("No quote at all.\n-- \nDesk") is None


def test_an_html_outlook_reply_leaves_its_rule_with_the_history() -> None:
    """Outlook's HTML replies put a rule (``<hr>``) above the header block; read as text it
    is ``* * *``, and it stayed in the new text: "Great job, thanks! * * *" was the
    comment of a survey answer, and the rule ended every such reply on the ticket."""
    text = (
        "5\n\nGreat job, thanks!\n\n* * *\n\n"
        "From: Desk Support <support@desk.test>  \nSent: Monday, 23 November 2026 10:00  \n"
        "To: Ann  \nSubject: How did we do?\n\nYour request #1 has been resolved."
    )

    visible, folded = split_reply(text)
    assert visible == "5\n\nGreat job, thanks!"
    assert folded.startswith("* * *\n\nFrom: Desk Support")
    assert own_words(text) == "5\n\nGreat job, thanks!"
