"""What a list's mail teaches of its own tag (``desk/list_tags.Known``), one post at a time."""

from __future__ import annotations

from collections.abc import Iterable

from helpdesk_tui.desk.list_tags import Known, sender_key, topic_key

ANN, BOB, CID, DEE = (sender_key(f"{name}@example.org") for name in ("ann", "bob", "cid", "dee"))


def _after(
    posts: Iterable[tuple[str | None, str | None, str]], start: Known | None = None
) -> Known:
    known = start or Known()
    for tag, sender, subject in posts:
        known = known.after(tag, sender, topic_key(subject))
    return known


def test_a_list_s_own_tag_is_learnt_from_three_subjects_and_three_senders_in_a_row() -> None:
    two = [("itsupport", ANN, "VPN drops"), ("itsupport", BOB, "Printer")]
    assert _after(two).tag is None
    assert _after([*two, ("itsupport", CID, "Wiki")]) == Known(tag="itsupport")
    assert _after([*two, ("itsupport", CID, "Re: Printer")]).tag is None  # two subjects
    assert _after([*two, ("itsupport", CID, "Re: Printer"), ("itsupport", ANN, "Wiki")]).tag
    one_sender = [("itsupport", ANN, s) for s in ("VPN", "Wiki", "Mail", "Fax")]
    assert _after(one_sender).tag is None  # however often one sender writes it
    assert _after([*two, ("itsupport", None, "Wiki")]).tag is None  # no From: tells nothing


def test_customers_tags_are_not_the_list_s() -> None:
    """Two customers' "[URGENT]" in a row, and a thread's replies (one subject, whoever
    answers), teach nothing; an untagged post between breaks a run."""
    assert _after([("urgent", ANN, "Printer down"), ("urgent", BOB, "Scanner down")]).tag is None
    # two customers' "[URGENT]" on three subjects in a row (learnt before mail15)
    two_senders = [("urgent", ANN, "Printer"), ("urgent", BOB, "Scanner"), ("urgent", ANN, "Fax")]
    assert _after(two_senders).tag is None
    assert _after([*two_senders, ("urgent", BOB, "Wiki")]).tag is None
    thread = [("urgent", ANN, "Printer down"), ("urgent", BOB, "Re: Printer down")]
    assert _after([*thread, ("urgent", CID, "RE: printer down [#4]")]).tag is None
    broken = [("urgent", ANN, "Printer"), (None, BOB, "Lunch"), ("urgent", BOB, "Scanner")]
    assert _after([*broken, ("urgent", CID, "Fax")]).tag is None
    other = [("urgent", ANN, "Printer"), ("help", BOB, "Lunch"), ("urgent", BOB, "Scanner")]
    assert _after([*other, ("urgent", CID, "Fax")]).tag is None


def test_a_list_that_adds_its_tag_later_or_drops_it() -> None:
    """Untagged posts first, then the tag on every post: learnt then. A list that drops its
    tag un-learns it at its first untagged post. A post led by another tag (a list that
    adds its own only when a subject has none) keeps the tag learnt."""
    later = [(None, ANN, "Hello"), (None, BOB, "Hi")]
    later += [("itsupport", ANN, "VPN"), ("itsupport", BOB, "Wiki"), ("itsupport", CID, "Mail")]
    learnt = _after(later)
    assert learnt == Known(tag="itsupport")
    assert _after([(None, DEE, "Tag gone")], learnt) == Known()
    odd = _after([("urgent", ANN, "Printer"), ("urgent", BOB, "Fax")], learnt)
    assert odd.tag == "itsupport"
    assert _after([("itsupport", CID, "VPN")], odd) == learnt  # (its run cleared)
    renamed = [("ithelp", ANN, "VPN"), ("ithelp", BOB, "Wiki"), ("ithelp", CID, "Mail")]
    assert _after(renamed, learnt) == Known(tag="ithelp")


def test_the_setting_reads_back_and_older_values() -> None:
    state = _after([("itsupport", ANN, "VPN"), ("itsupport", BOB, "Wiki")])
    assert Known.read(state.value()) == state
    assert "ann" not in state.value() and "VPN" not in state.value()
    for older in ("itsupport", "", None, "[1]", '{"tag": 3}'):
        assert Known.read(older) == Known()  # (mail10 kept a tag one post carried)
    # learnt under the two-senders rules (mail11, mail12): learnt again under this one
    mail11 = '{"tag": "urgent", "seen": "help", "from": "0123456789abcdef"}'
    assert Known.read(mail11) == Known()
    mail12 = '{"tag": "urgent", "seen": null, "senders": [], "topics": []}'
    assert Known.read(mail12) == Known()
