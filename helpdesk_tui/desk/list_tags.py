"""A mailing list's own subject tag, learnt from the list's mail.

The mail layer strips a list's copy's leading ``[…]`` tag only when it names the list
(``noise.list_subject``: its ``List-Id`` name or label, its ``List-Post`` mailbox). A list
whose tag says something else (``[IT-Support]`` on ``helpdesk.lists.example.com``) is known
by its mail: a list's own tag leads every post, whoever sends it and whatever about. So a
first tag is the list's once it led the list's posts on :data:`TOPICS` different subjects
from :data:`SENDERS` different senders (their From address), in a row: no post between
without a tag or with another first tag. This is the one rule (:meth:`Known.after`); the
mail layer only reads the tag off a list's copy (``noise.list_subject``). The tag goes
from the post that completes that on, and an untagged post from the list un-learns it (a
list that dropped its tag). What customers write stays: one sender's ``[URGENT]``, however
often; two customers' ``[URGENT]`` posts in a row, even on three subjects (a list's tag
is on everyone's posts: three people in a row is the least that says so); a thread's
replies, which carry their first post's tag (one subject).

Each list's state is a desk setting, ``list.tag.<hash of the list's id>``, written in the
transaction of the batch that read it (:class:`Known`): the tag learnt, and the run of the
first tag that is not (yet) the list's, with hashes of its senders and subjects. No table
of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import select

from helpdesk_tui.desk.inbound import Inbound
from helpdesk_tui.desk.settings import set_desk_setting
from helpdesk_tui.desk.subjects import base_subject, leading_tags, list_name, without_list_tag
from helpdesk_tui.storage.core_tables import DeskSetting

if TYPE_CHECKING:
    from sqlmodel import Session

PREFIX = "list.tag."


def setting_name(list_id: str) -> str:
    """The desk setting that keeps what the list's mail taught (a List-Id may be long)."""
    return PREFIX + hashlib.sha256(list_id.encode()).hexdigest()[:32]


def sender_key(address: str) -> str:
    """Who sent a post, as the setting keeps it: a hash of the From address, not the
    address (a desk setting is no contact list)."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]


TOPICS = 3
"""Different subjects a tag must lead, in a row, before it is taken for the list's own."""
SENDERS = 3
"""Different senders among those posts (two were enough before mail15: two customers'
"[URGENT]" on three subjects taught it; a state learnt so is learnt again)."""


def topic_key(subject: str) -> str:
    """What a post is about, as the setting keeps it: a hash of its base subject (the
    tag, reply prefixes and ticket tokens aside), lower case."""
    return hashlib.sha256(base_subject(subject).lower().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Known:
    """What a list's mail taught: ``tag``, the list's own (``list_name`` form; None: none
    learnt yet); ``seen``, the first tag of the run of posts that led with another, with
    the :func:`sender_key` of up to :data:`SENDERS` of their senders and the
    :func:`topic_key` of up to :data:`TOPICS` of their subjects."""

    tag: str | None = None
    seen: str | None = None
    senders: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    @classmethod
    def read(cls, value: str | None) -> Known:
        """The setting's value; nothing learnt when there is none, it is not a JSON
        object (mail10 kept a tag one post carried), or it was learnt under a weaker rule
        than :data:`SENDERS` (mail11's, mail12's two senders: a customer's "[URGENT]" may
        have been taken for the list's): the list's posts teach it again."""
        try:
            found = json.loads(value) if value else {}
        except ValueError:
            return cls()
        if not isinstance(found, dict):
            return cls()
        tag, seen = found.get("tag"), found.get("seen")
        senders, topics = found.get("senders", []), found.get("topics", [])
        if not all(item is None or isinstance(item, str) for item in (tag, seen)):
            return cls()
        if found.get("senders_needed") != SENDERS:
            return cls()  # (learnt, or counted, under another rule)
        runs = (senders, topics)
        if not all(isinstance(run, list) and all(isinstance(k, str) for k in run) for run in runs):
            return cls(tag)
        return cls(tag, seen, tuple(senders), tuple(topics)) if seen else cls(tag)

    def value(self) -> str:
        return json.dumps(
            {
                "tag": self.tag,
                "seen": self.seen,
                "senders": list(self.senders),
                "topics": list(self.topics),
                "senders_needed": SENDERS,
            }
        )

    def after(self, tag: str | None, sender: str | None, topic: str) -> Known:
        """What the list's post teaches whose first tag is ``tag`` (None: it has no tag),
        from ``sender`` (None: no From address), about ``topic``: an untagged post forgets
        the list's tag; the tag learnt clears the run; the run's tag extends it, and is
        learnt once it has :data:`TOPICS` subjects and :data:`SENDERS` senders; another
        tag starts a run of its own."""
        if tag is None:
            return Known()
        if tag == self.tag:
            return Known(tag)
        if sender is None:
            return self  # (tells nothing of who carried it)
        if tag != self.seen:
            return Known(self.tag, tag, (sender,), (topic,))
        senders = _added(self.senders, sender, SENDERS)
        topics = _added(self.topics, topic, TOPICS)
        if len(senders) >= SENDERS and len(topics) >= TOPICS:
            return Known(tag)
        return Known(self.tag, tag, senders, topics)


def _added(keys: tuple[str, ...], key: str, most: int) -> tuple[str, ...]:
    return keys if key in keys or len(keys) >= most else (*keys, key)


def strip_known_list_tags(
    session: Session, items: Sequence[Inbound], done: Collection[str] = ()
) -> list[Inbound]:
    """The items, a list's copy without its first tag when that is the list's own
    (:class:`Known`, learnt from posts before it or from this one); each post teaches the
    list's state for the next (not a message already processed, ``done`` by key: a copy
    read again)."""
    names = {setting_name(i.list_id) for i in items if i.list_id and _teaches(i)}
    if not names:
        return list(items)
    rows = session.execute(
        select(DeskSetting.name, DeskSetting.value).where(DeskSetting.name.in_(sorted(names)))
    )
    stored: dict[str, str] = {name: value for name, value in rows}
    known = {name: Known.read(stored.get(name)) for name in names}
    result: list[Inbound] = []
    for item in items:
        if item.list_id and _teaches(item):
            name = setting_name(item.list_id)
            tag = list_name(item.list_tag) if item.list_tag else None
            if item.key not in done:
                sender = sender_key(item.from_address) if item.from_address else None
                topic = topic_key(without_list_tag(item.subject, [tag or ""]) or item.subject)
                known[name] = known[name].after(tag, sender, topic)
            if tag and known[name].tag == tag:
                stripped = without_list_tag(item.subject, [tag])
                if stripped is not None:
                    item = replace(item, subject=stripped)
        result.append(item)
    for name, state in known.items():
        value = state.value()
        if stored.get(name, Known().value()) != value:
            set_desk_setting(session, name, value)
    return result


def _teaches(item: Inbound) -> bool:
    """A list's post that tells of the list's tag: one whose first tag is not one its
    headers name (``list_tag``), or one with no leading tag at all (a ticket token is
    none), which says the list tags nothing."""
    return item.list_tag is not None or not leading_tags(item.email.subject or "")
