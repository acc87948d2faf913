"""Shell completion of option values without loading the command that takes them.

click completes an option's value by importing the command's module first, and every
ticket verb's module imports the data layer (≈ 0.3 s, more on a loaded machine) before a
single name is offered. The verbs below declare here which of their options (or their
last argument) take a status, priority, type, agent, team or tag; a Tab on one of those
is answered from this table and ``completion_cache`` (names the desk keeps in the user's
cache dir) without importing any verb. Anything else goes to click as before.
``tests/cli/test_fast_complete.py`` checks this table against the real commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from click.shell_completion import CompletionItem

from helpdesk_tui import completion_cache

FIXED: dict[str, tuple[str, ...]] = {
    "status": ("new", "open", "in_progress", "waiting", "on_hold", "resolved", "closed"),
    "priority": ("low", "normal", "high", "urgent"),
    "type": ("incident", "service_request", "question", "complaint"),
}
"""The desk's fixed values (``desk.kinds``; importing it would import the data layer)."""


@dataclass(frozen=True)
class VerbSpec:
    options: dict[str, str] = field(default_factory=dict)
    """Option → the kind of value it takes."""
    last_argument: str | None = None
    """The kind of the value after the ticket numbers (``ticket status 12 open``)."""
    option_names: tuple[str, ...] = ()
    """Every option of the verb, offered after its ticket numbers (``assign 12 <Tab>``)."""


VERBS: dict[tuple[str, str], VerbSpec] = {
    ("ticket", "list"): VerbSpec(
        {
            "--status": "status",
            "--priority": "priority",
            "--type": "type",
            "--assignee": "agent",
            "--team": "team",
            "--tag": "tag",
        }
    ),
    ("ticket", "new"): VerbSpec({"--priority": "priority", "--type": "type", "--tag": "tag"}),
    ("ticket", "assign"): VerbSpec(
        {"--to": "agent", "--team": "team"},
        option_names=("--to", "--me", "--team", "--unassign", "--expect-version", "--json"),
    ),
    ("ticket", "tag"): VerbSpec(
        {"--add": "tag", "--remove": "tag"},
        option_names=("--add", "--remove", "--expect-version", "--json"),
    ),
    ("ticket", "escalate"): VerbSpec({"--team": "team"}),
    ("ticket", "deescalate"): VerbSpec({"--team": "team"}),
    ("ticket", "status"): VerbSpec(last_argument="status"),
    ("ticket", "priority"): VerbSpec(last_argument="priority"),
    ("ticket", "type"): VerbSpec(last_argument="type"),
}


def values(kind: str) -> Sequence[str]:
    if kind in FIXED:
        return FIXED[kind]
    return completion_cache.recall(kind)


def _is_number(word: str) -> bool:
    return word == "-" or word.lstrip("#").isdigit()


def fast_completions(args: Sequence[str], incomplete: str) -> list[CompletionItem] | None:
    """The completions for ``incomplete`` after ``args`` (the words before it, without the
    program's name), or None when click should work them out itself."""
    if len(args) < 2 or "=" in incomplete:
        return None
    spec = VERBS.get((args[0], args[1]))
    if spec is None:
        return None
    rest = args[2:]
    kind = spec.options.get(rest[-1]) if rest else None
    if kind is None and not incomplete.startswith("-") and rest and all(map(_is_number, rest)):
        kind = spec.last_argument
        if kind is None and spec.option_names and not incomplete:
            return [CompletionItem(name) for name in spec.option_names]
    if kind is None:
        return None
    return [CompletionItem(value) for value in values(kind) if value.startswith(incomplete)]
