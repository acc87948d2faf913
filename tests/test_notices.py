"""The read mark of a notice: told once, again only for what is new."""

from __future__ import annotations

import json

from helpdesk_tui import notices
from helpdesk_tui.completion_cache import cache_dir

WHOSE = {"url": "sqlite:///desk.db", "login": "ada", "what": "follow-ups"}


def test_a_notice_is_told_for_what_the_agent_was_not_told_of() -> None:
    """Not again for the same tickets (it was once a day), nor for fewer; a new one in
    place of one done (the same count) is told."""
    assert not notices.should_tell(frozenset(), None)
    assert notices.should_tell(frozenset({7}), None)
    told = notices.Told(frozenset({7, 9}))
    assert not notices.should_tell(frozenset({7, 9}), told)
    assert not notices.should_tell(frozenset({9}), told)
    assert notices.should_tell(frozenset({9, 12}), told)


def test_the_mark_is_kept_per_agent_and_an_old_record_is_told_once_more() -> None:
    notices.remember(**WHOSE, told=notices.Told(frozenset({3, 1})))
    assert notices.recall(**WHOSE) == notices.Told(frozenset({1, 3}))
    assert notices.recall(**{**WHOSE, "login": "bob"}) is None  # (ada's mark, not bob's)
    path = cache_dir() / notices.FILE
    found = json.loads(path.read_text(encoding="utf-8"))
    [key] = found
    found[key] = {"day": "2026-12-07", "count": 2}  # (the form before the mark)
    path.write_text(json.dumps(found), encoding="utf-8")
    assert notices.recall(**WHOSE) is None
    found[key] = {"numbers": [1, True, "x"]}  # (hostile: as if nothing was told)
    path.write_text(json.dumps(found), encoding="utf-8")
    assert notices.recall(**WHOSE) is None
