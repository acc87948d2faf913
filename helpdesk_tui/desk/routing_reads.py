"""The routing rules as read from their file: loaded and listed, with no database read.

:class:`RoutingReads` is the base of the facade's ``RoutingService`` and alone is what
``helpdesk rules list`` holds (an agent's verb: the desk is opened to know who runs it),
so that verb imports neither the ORM nor SQLModel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpdesk_tui.desk.routing import Rules, describe_conditions, load_rules
from helpdesk_tui.desk.service import DeskService


@dataclass(frozen=True)
class RuleView:
    name: str
    set_name: str
    match: str
    on: tuple[str, ...]
    conditions: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class RulesStamp:
    """What a look at the rules file without reading it tells (``rules_stamp``): a file
    changed in place or replaced (an editor's write and rename) has another stamp."""

    inode: int
    size: int
    modified_ns: int
    changed_ns: int


def usable_rules(count: int) -> str:
    """``rules check``'s verdict on a file whose rules are all usable, in the CLI and the
    desk settings alike ("1 rule", where both said "1 rules")."""
    return f"{count} rule{'' if count == 1 else 's'}, all usable"


class RoutingReads(DeskService):
    """``rules_load``, ``rules_stamp`` and ``rules_list``."""

    def rules_stamp(self, path: Path) -> RulesStamp | None:
        """The rules file's stamp, ``None`` when there is none to read (one ``stat``, no
        parse): a screen that shows the rules reads them again when it moves."""
        try:
            found = path.stat()
        except OSError:
            return None
        return RulesStamp(found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)

    def rules_load(self, path: Path) -> Rules:
        """The rules file at ``path`` checked for form (:class:`RulesError` on the first fault)."""
        return load_rules(path)

    def rules_list(self, rules: Rules) -> list[RuleView]:
        return [
            RuleView(
                rule.name,
                rule.set_name,
                next(s.mode.value for s in rules.sets if s.name == rule.set_name),
                tuple(sorted(t.value for t in rule.on)),
                describe_conditions(rule),
                tuple(rule.actions.describe()),
            )
            for rule in rules.rules
        ]
