"""A mailing list's own subject tag, learnt from the list's mail.

The mail layer strips a list's copy's leading ``[…]`` tag only when it names the list
(``noise.list_subject``: its ``List-Id`` name or label, its ``List-Post`` mailbox). A list
whose tag says something else (``[IT-Support]`` on ``helpdesk.lists.example.com``) is known
by its mail: a list's own tag is on every post, whoever sends it, so a first tag is the
list's once posts from two different senders (their From address) carried it, and goes
from the second sender's post on. A tag one sender wrote stays, however often they write
it: a customer's ``[URGENT] printer down`` keeps its ``[URGENT]``, and so does their next
``[URGENT]`` post to a list with no tag of its own.

Each list's state is a desk setting, ``list.tag.<hash of the list's id>``, written in the
transaction of the batch that read it (:class:`Known`): the tag learnt, and the first tag
last seen that is not (yet) the list's with a hash of who sent it. No table of its own.
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
from helpdesk_tui.desk.subjects import list_name, without_list_tag
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


@dataclass(frozen=True)
class Known:
    """What a list's mail taught: ``tag``, the list's own (``list_name`` form; None: none
    learnt yet); ``seen``, the first tag of its latest post that carried another, and
    ``sender``, the :func:`sender_key` of the first post that carried ``seen``."""

    tag: str | None = None
    seen: str | None = None
    sender: str | None = None

    @classmethod
    def read(cls, value: str | None) -> Known:
        """The setting's value; nothing learnt when there is none or it is not this form
        (a value written before this rule held a tag one post carried: learnt again)."""
        try:
            found = json.loads(value) if value else {}
        except ValueError:
            return cls()
        if not isinstance(found, dict):
            return cls()
        fields = [found.get(key) for key in ("tag", "seen", "from")]
        if not all(item is None or isinstance(item, str) for item in fields):
            return cls()
        return cls(*fields)

    def value(self) -> str:
        return json.dumps({"tag": self.tag, "seen": self.seen, "from": self.sender})

    def after(self, tag: str, sender: str | None) -> Known:
        """What the list's post with first tag ``tag`` from ``sender`` (None: no From
        address, which tells nothing) teaches: a tag learnt when a second sender carries
        the one seen; else the tag and its sender noted, the tag learnt kept."""
        if tag == self.tag or sender is None:
            return self
        if tag == self.seen and self.sender is not None:
            if sender == self.sender:
                return self
            return Known(tag=tag)
        return Known(self.tag, tag, sender)


def strip_known_list_tags(
    session: Session, items: Sequence[Inbound], done: Collection[str] = ()
) -> list[Inbound]:
    """The items, a list's copy without its first tag when that is the list's own
    (:class:`Known`, learnt from posts before it or from this one); each post teaches the
    list's state for the next (not a message already processed, ``done`` by key: a copy
    read again)."""
    names = {setting_name(i.list_id) for i in items if i.list_id and i.list_tag}
    if not names:
        return list(items)
    rows = session.execute(
        select(DeskSetting.name, DeskSetting.value).where(DeskSetting.name.in_(sorted(names)))
    )
    stored: dict[str, str] = {name: value for name, value in rows}
    known = {name: Known.read(stored.get(name)) for name in names}
    result: list[Inbound] = []
    for item in items:
        if item.list_id and item.list_tag:
            name, tag = setting_name(item.list_id), list_name(item.list_tag)
            if tag and item.key not in done:
                sender = sender_key(item.from_address) if item.from_address else None
                known[name] = known[name].after(tag, sender)
            if tag and known[name].tag == tag:
                stripped = without_list_tag(item.subject, [tag])
                if stripped is not None:
                    item = replace(item, subject=stripped)
        result.append(item)
    for name, state in known.items():
        value = state.value()
        if stored.get(name) != value:
            set_desk_setting(session, name, value)
    return result
