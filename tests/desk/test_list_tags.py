"""What a list's mail teaches of its own tag (``desk/list_tags.Known``), one post at a time."""

from __future__ import annotations

from helpdesk_tui.desk.list_tags import Known, sender_key

ANN, BOB, CID = (sender_key(a) for a in ("ann@example.org", "bob@example.org", "cid@example.org"))


def test_a_tag_is_the_list_s_once_two_senders_carried_it() -> None:
    once = Known().after("urgent", ANN)
    assert once.tag is None and once.after("urgent", ANN).tag is None  # one sender, twice
    assert once.after("urgent", None).tag is None  # no From address: tells nothing
    assert once.after("urgent", BOB) == Known(tag="urgent")


def test_a_learnt_tag_stays_while_a_sender_s_own_tag_comes_and_goes() -> None:
    """A post whose first tag is another (a list that adds its tag only when the subject
    has none) keeps the list's tag learnt; a new tag from two senders replaces it (a list
    renamed)."""
    learnt = Known(tag="itsupport")
    odd = learnt.after("urgent", ANN)
    assert odd.tag == "itsupport" and odd.after("itsupport", BOB).tag == "itsupport"
    assert odd.after("urgent", CID) == Known(tag="urgent")


def test_the_setting_reads_back_and_an_older_value_teaches_nothing() -> None:
    state = Known().after("itsupport", ANN)
    assert Known.read(state.value()) == state
    assert "ann" not in state.value()
    for older in ("itsupport", "", None, "[1]", '{"tag": 3}'):
        assert Known.read(older) == Known()  # (mail10 kept a tag one post carried)
