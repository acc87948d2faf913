"""A mailing list's own subject tag, learnt from the list's mail.

The mail layer strips a list's copy's leading ``[…]`` tag only when it names the list
(``noise.list_subject``: its ``List-Id`` name or label, its ``List-Post`` mailbox). A list
whose tag says something else (``[IT-Support]`` on ``helpdesk.lists.example.com``) is known
by its mail: the same first tag on the same list's earlier mail is the list's, and goes;
a tag seen for the first time stays, so a customer's own ``[URGENT] printer down`` keeps
its ``[URGENT]``. Each list's latest first tag is a desk setting, ``list.tag.<hash of the
list's id>``, written in the transaction of the batch that read it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import replace
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
    """The desk setting that keeps the list's latest first tag (a List-Id may be long)."""
    return PREFIX + hashlib.sha256(list_id.encode()).hexdigest()[:32]


def strip_known_list_tags(
    session: Session, items: Sequence[Inbound], done: Collection[str] = ()
) -> list[Inbound]:
    """The items, a list's copy whose first tag the same list's earlier mail carried
    without it in its subject; each list's first tag remembered for its next mail (not
    from a message already processed, ``done`` by key: a copy read again)."""
    names = {setting_name(i.list_id) for i in items if i.list_id and i.list_tag}
    if not names:
        return list(items)
    rows = session.execute(
        select(DeskSetting.name, DeskSetting.value).where(DeskSetting.name.in_(sorted(names)))
    )
    known: dict[str, str] = {name: value for name, value in rows}
    latest = dict(known)
    result: list[Inbound] = []
    for item in items:
        if item.list_id and item.list_tag:
            name, tag = setting_name(item.list_id), list_name(item.list_tag)
            if tag and latest.get(name) == tag:
                stripped = without_list_tag(item.subject, [tag])
                if stripped is not None:
                    item = replace(item, subject=stripped)
            if tag and item.key not in done:
                latest[name] = tag
        result.append(item)
    for name, tag in latest.items():
        if known.get(name) != tag:
            set_desk_setting(session, name, tag)
    return result
