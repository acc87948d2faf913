"""Routing rules: which rule fires for a ticket and what it would do. Pure: no database.

The rules come from a TOML file (``rules.toml``, see :func:`parse_rules`)::

    calendar = "berlin"           # business_hours = true/false: this SLA business calendar

    [teams.Network]               # automatic assignment inside a team
    assign = "round_robin"        # or "least_open", "skill_match"

    [canned.billing-ack]          # a reply a rule can send (until canned responses exist)
    subject = "We got your invoice question"
    body = "Hello {name}, your request is ticket #{number}."

    [[set]]                       # rule sets run in order
    name = "triage"
    match = "first"               # the first rule that matches, or "all" of them
    [[set.rule]]
    name = "Invoices to Billing"
    on = ["new", "follow_up"]     # default: new tickets only
    if = { subject_contains = ["invoice", "refund"], sender_domain = "acme.com" }
    then = { team = "Billing", priority = "high", tags = ["billing"] }

Every condition of a rule must hold (a list of values: any one of them); a rule with no
condition always matches. A subject condition holds on the subject as the mail arrived
(a mailing list's ``[it-help]`` in it, as the rule's author sees it in a mail client) or on
the ticket's subject without that tag (:func:`_on_subject`). A matching rule's actions
change the ticket as the following rules see it, so a later set can route on a category an
earlier one set. A bad rule is refused with one line naming the file and the rule
(:class:`RulesError`).

``business_hours`` asks an SLA business calendar (:meth:`~helpdesk_tui.desk.sla.Calendar.contains`:
working days and hours, public holidays, closed days), so routing and the SLA clocks agree on
what business time is: ``true``/``false`` use the file's ``calendar`` (default: the desk's
built-in business hours), a name (``business_hours = "berlin"``) that calendar. The desk keeps
the calendars (``helpdesk sla calendar set``); a name it does not have is refused by
``helpdesk rules check`` and, when a rule is evaluated, by a :class:`RulesError`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from helpdesk_tui.desk.errors import DeskError, InvalidValue
from helpdesk_tui.desk.sla import DEFAULT_CALENDAR, Calendar
from helpdesk_tui.desk.values import parse_priority, parse_tag, parse_tier, parse_type
from helpdesk_tui.storage.enums import Channel

E = TypeVar("E", bound=StrEnum)
CalendarOf = Callable[[str | None], Calendar]
"""A rule's calendar by name (``None``: the rules file's own)."""


class RulesError(DeskError):
    """A rules file that cannot be used: one line naming the file, the rule and the fault."""


class Trigger(StrEnum):
    """When a rule is evaluated."""

    NEW = "new"
    """A ticket was just created (by mail, or by an agent)."""
    FOLLOW_UP = "follow_up"
    """A customer wrote again on an existing ticket."""


class Strategy(StrEnum):
    """How a team hands its tickets out (see :mod:`helpdesk_tui.desk.assignment`)."""

    ROUND_ROBIN = "round_robin"
    LEAST_OPEN = "least_open"
    SKILL_MATCH = "skill_match"


class MatchMode(StrEnum):
    FIRST = "first"
    ALL = "all"


@dataclass(frozen=True)
class Facts:
    """What the rules look at: the message that arrived and the ticket as it is."""

    trigger: Trigger
    at: datetime
    """When it arrived (aware)."""
    channel: str = Channel.EMAIL
    sender: str | None = None
    """The requester's address, lower case."""
    organization: str | None = None
    subject: str = ""
    """The ticket's subject: a mailing list's own ``[tag]`` left out (``desk/list_tags``)."""
    arrived_subject: str = ""
    """The subject as the mail arrived, when it differs (a list's tag in it): what the
    rule's author sees in a mail client. A subject condition holds on either
    (:func:`_on_subject`)."""
    body: str = ""
    type: str = "question"
    category: str | None = None
    priority: str = "normal"
    tags: tuple[str, ...] = ()
    team: str | None = None


@dataclass(frozen=True)
class Arrival:
    """A message that just reached a ticket: what intake (or an agent's new ticket) routes."""

    ticket_id: int
    trigger: Trigger
    channel: str
    subject: str
    body: str
    sender: str | None
    arrived_subject: str = ""
    """The subject as the mail arrived (:attr:`Facts.arrived_subject`)."""
    acknowledged: bool | None = None
    """Whether mail intake queued this new ticket's acknowledgement (None: no intake
    decided it, as for an agent's new ticket). A rule's canned reply takes the queued
    acknowledgement's place, and goes only where it would have: one automatic answer."""
    no_ack: str | None = None
    """Why intake queued no acknowledgement (``acknowledged`` False)."""
    answer_only: bool = False
    """The sender's own copy of a mailing list's post that opened the ticket, which brought
    the acknowledgement the list's copy could not have: the rules' automatic answer (a
    canned reply in that acknowledgement's place) is all that is done again; the rest was
    done for the list's copy (``intake.Writer._direct_copy``)."""


@dataclass(frozen=True)
class Condition:
    """One test of a rule: ``field`` against ``values`` (any of them)."""

    field: str
    values: tuple[Any, ...]

    def holds(self, facts: Facts, calendar: CalendarOf) -> bool:
        return bool(_TESTS[self.field](facts, self.values, calendar))

    def describe(self) -> str:
        shown = [v.pattern if isinstance(v, re.Pattern) else v for v in self.values]
        return f"{self.field} = {shown[0]!r}" if len(shown) == 1 else f"{self.field} in {shown!r}"


@dataclass(frozen=True)
class Actions:
    """What a matching rule does; None/empty: leave as it is."""

    team: str | None = None
    category: str | None = None
    type: str | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    assignee: str | None = None
    tier: int | None = None
    canned_reply: str | None = None

    def describe(self) -> list[str]:
        said = [
            f"{name} → {value}"
            for name in ("team", "category", "type", "priority", "assignee", "tier")
            if (value := getattr(self, name)) is not None
        ]
        if self.tags:
            said.append(f"tags + {', '.join(self.tags)}")
        if self.canned_reply:
            said.append(f"send canned reply {self.canned_reply!r}")
        return said


@dataclass(frozen=True)
class Rule:
    name: str
    set_name: str
    conditions: tuple[Condition, ...]
    actions: Actions
    on: frozenset[Trigger] = frozenset({Trigger.NEW})

    def matches(self, facts: Facts, calendar: CalendarOf) -> bool:
        return facts.trigger in self.on and all(c.holds(facts, calendar) for c in self.conditions)

    def calendars(self) -> list[str | None]:
        """The calendars its ``business_hours`` conditions name (``None``: the file's)."""
        return [
            c.values[0] if isinstance(c.values[0], str) else None
            for c in self.conditions
            if c.field == "business_hours"
        ]


@dataclass(frozen=True)
class RuleSet:
    name: str
    mode: MatchMode
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class CannedTemplate:
    """A reply's text with ``{number}``, ``{subject}``, ``{name}``, ``{desk}`` placeholders."""

    name: str
    subject: str
    body: str


@dataclass(frozen=True)
class Rules:
    """A whole rules file, checked for form (names of teams and agents: by the desk)."""

    sets: tuple[RuleSet, ...] = ()
    calendar: str | None = None
    """The SLA business calendar ``business_hours = true/false`` asks; ``None``: the desk's
    built-in business hours."""
    strategies: Mapping[str, Strategy] = field(default_factory=dict)
    canned: Mapping[str, CannedTemplate] = field(default_factory=dict)
    source: str = "rules.toml"

    @property
    def rules(self) -> list[Rule]:
        return [rule for rule_set in self.sets for rule in rule_set.rules]


@dataclass(frozen=True)
class Evaluation:
    """Every rule that fired, in order, and the ticket's values as the rules leave them."""

    matches: tuple[Rule, ...]
    result: Facts


def calendar_problems(rules: Rules, known: Collection[str]) -> list[str]:
    """Calendars the rules name that the desk does not have (``known``): one line each."""
    usable = {*known, DEFAULT_CALENDAR.name}
    problems = []
    if rules.calendar is not None and rules.calendar not in usable:
        problems.append(f"{rules.source}: calendar: {_no_calendar(rules.calendar)}")
    for rule in rules.rules:
        for name in dict.fromkeys(rule.calendars()):
            if name is not None and name not in usable:
                problems.append(f"{rules.source}: rule {rule.name!r}: {_no_calendar(name)}")
    return problems


def _no_calendar(name: str) -> str:
    return f"no business calendar {name!r} (see: helpdesk sla calendar list)"


def _calendar_of(rules: Rules, rule: Rule, calendars: Mapping[str, Calendar]) -> CalendarOf:
    def calendar(name: str | None) -> Calendar:
        wanted = name or rules.calendar
        if wanted is None or wanted == DEFAULT_CALENDAR.name:
            return DEFAULT_CALENDAR
        found = calendars.get(wanted)
        if found is None:
            raise RulesError(f"{rules.source}: rule {rule.name!r}: {_no_calendar(wanted)}")
        return found

    return calendar


def evaluate(
    rules: Rules, facts: Facts, calendars: Mapping[str, Calendar] | None = None
) -> Evaluation:
    """Run every rule set over ``facts``; nothing is written.

    ``calendars``: the desk's SLA business calendars by name, for ``business_hours``; a rule
    that asks one it does not have is a :class:`RulesError` naming the rule.
    """
    known = calendars or {}
    matches: list[Rule] = []
    current = facts
    for rule_set in rules.sets:
        for rule in rule_set.rules:
            if not rule.matches(current, _calendar_of(rules, rule, known)):
                continue
            matches.append(rule)
            current = _after(current, rule.actions)
            if rule_set.mode is MatchMode.FIRST:
                break
    return Evaluation(tuple(matches), current)


def _after(facts: Facts, act: Actions) -> Facts:
    """The facts as later rules see them once ``act`` is done."""
    changes: dict[str, Any] = {
        name: getattr(act, name)
        for name in ("team", "category", "type", "priority")
        if getattr(act, name) is not None
    }
    if act.tags:
        changes["tags"] = tuple(dict.fromkeys((*facts.tags, *act.tags)))
    return replace(facts, **changes)


# --- conditions -------------------------------------------------------------------------------


def _any_equal(value: str | None, values: tuple[Any, ...]) -> bool:
    return value is not None and value.lower() in values


def _contains(text: str, values: tuple[Any, ...]) -> bool:
    folded = text.casefold()
    return any(v in folded for v in values)


def _search(text: str, values: tuple[Any, ...]) -> bool:
    return any(pattern.search(text) for pattern in values)


def _on_subject(facts: Facts, test: Callable[[str], bool]) -> bool:
    """The one rule for what a subject condition reads: the subject as the mail arrived,
    a mailing list's ``[it-help]`` in it as the rule's author sees it in a mail client,
    or the ticket's subject without that tag; it holds when it holds on either."""
    if test(facts.subject):
        return True
    arrived = facts.arrived_subject
    return bool(arrived) and arrived != facts.subject and test(arrived)


def _domain(address: str | None) -> str | None:
    return address.rpartition("@")[2] if address and "@" in address else None


def _domain_matches(address: str | None, values: tuple[Any, ...]) -> bool:
    domain = (_domain(address) or "").lower()
    return bool(domain) and any(domain == v or domain.endswith("." + v) for v in values)


_TESTS: dict[str, Any] = {
    "channel": lambda f, v, h: _any_equal(f.channel, v),
    "sender": lambda f, v, h: _any_equal(f.sender, v),
    "sender_domain": lambda f, v, h: _domain_matches(f.sender, v),
    "organization": lambda f, v, h: _any_equal(f.organization, v),
    "subject_contains": lambda f, v, h: _on_subject(f, lambda s: _contains(s, v)),
    "body_contains": lambda f, v, h: _contains(f.body, v),
    "subject_matches": lambda f, v, h: _on_subject(f, lambda s: _search(s, v)),
    "body_matches": lambda f, v, h: _search(f.body, v),
    "type": lambda f, v, h: _any_equal(f.type, v),
    "category": lambda f, v, h: _any_equal(f.category, v),
    "priority": lambda f, v, h: _any_equal(f.priority, v),
    "tag": lambda f, v, h: any(t in v for t in f.tags),
    "business_hours": lambda f, v, c: (
        c(v[0] if isinstance(v[0], str) else None).contains(f.at) == (v[0] is not False)
    ),
}
CONDITIONS = tuple(_TESTS)
ACTIONS = ("team", "category", "type", "priority", "tags", "assignee", "tier", "canned_reply")


# --- reading the file -------------------------------------------------------------------------


def load_rules(path: Path) -> Rules:
    """The rules in ``path``; a missing file is no rules (nothing is routed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Rules(source=str(path))
    except UnicodeDecodeError as error:
        raise RulesError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise RulesError(f"{path}: cannot be read: {error.strerror}") from None
    return parse_rules(text, source=str(path))


def parse_rules(text: str, *, source: str = "rules.toml") -> Rules:
    """Check and read a rules file's text; the first fault is one :class:`RulesError` line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source}: not valid TOML: {error}") from None
    if "hours" in data:  # the rules' own calendar, before they used the SLA calendars
        raise RulesError(
            f"{source}: [hours] is no longer read: name an SLA business calendar instead "
            '(calendar = "NAME"; see: helpdesk sla calendar set)'
        )
    _known(data, {"calendar", "teams", "canned", "set"}, source)
    calendar = data.get("calendar")
    if calendar is not None and not (isinstance(calendar, str) and calendar.strip()):
        raise RulesError(f"{source}: calendar: give the name of an SLA business calendar")
    strategies = _strategies(data.get("teams", {}), source)
    canned = _canned(data.get("canned", {}), source)
    sets: list[RuleSet] = []
    seen: set[str] = set()
    raw_sets = data.get("set", [])
    if not isinstance(raw_sets, list):
        raise RulesError(f"{source}: 'set' must be an array of tables ([[set]])")
    for index, raw_set in enumerate(raw_sets, 1):
        where = f"{source}: set {raw_set.get('name', index)!r}"
        _known(raw_set, {"name", "match", "rule"}, where)
        name = str(raw_set.get("name", f"set {index}"))
        mode = _enum(MatchMode, raw_set.get("match", "first"), f"{where}: match")
        rules: list[Rule] = []
        for position, raw_rule in enumerate(raw_set.get("rule", []), 1):
            rule = _rule(raw_rule, name, position, source, canned)
            if rule.name in seen:
                raise RulesError(f"{source}: rule {rule.name!r}: the name is used twice")
            seen.add(rule.name)
            rules.append(rule)
        sets.append(RuleSet(name, mode, tuple(rules)))
    return Rules(tuple(sets), calendar and calendar.strip(), strategies, canned, source)


def _known(data: Mapping[str, Any], keys: set[str], where: str) -> None:
    if not isinstance(data, Mapping):
        raise RulesError(f"{where}: must be a table")
    for key in data:
        if key not in keys:
            raise RulesError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(keys))})")


def _enum(enum: type[E], value: object, where: str) -> E:
    try:
        return enum(str(value))
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise RulesError(f"{where}: {value!r} is not one of {allowed}") from None


def _strategies(raw: Mapping[str, Any], source: str) -> dict[str, Strategy]:
    _known(raw, set(raw), f"{source}: [teams]")
    found: dict[str, Strategy] = {}
    for team, settings in raw.items():
        where = f"{source}: [teams.{team}]"
        _known(settings, {"assign"}, where)
        found[team] = _enum(Strategy, settings.get("assign", "round_robin"), f"{where}: assign")
    return found


def _canned(raw: Mapping[str, Any], source: str) -> dict[str, CannedTemplate]:
    _known(raw, set(raw), f"{source}: [canned]")
    found: dict[str, CannedTemplate] = {}
    for name, settings in raw.items():
        where = f"{source}: [canned.{name}]"
        _known(settings, {"subject", "body"}, where)
        body = settings.get("body")
        if not isinstance(body, str) or not body.strip():
            raise RulesError(f"{where}: needs a body")
        subject = str(settings.get("subject", "Re: {subject}"))
        for text in (subject, body):
            _check_template(text, where)
        found[name] = CannedTemplate(name, subject, body)
    return found


TEMPLATE_FIELDS = {"number": 1, "subject": "", "name": "", "desk": ""}


def _check_template(text: str, where: str) -> None:
    try:
        text.format_map(TEMPLATE_FIELDS)
    except (KeyError, ValueError, IndexError, AttributeError) as error:
        raise RulesError(
            f"{where}: bad placeholder {error} (known: "
            + ", ".join("{" + k + "}" for k in TEMPLATE_FIELDS)
            + ")"
        ) from None


def _rule(
    raw: Mapping[str, Any],
    set_name: str,
    position: int,
    source: str,
    canned: Mapping[str, CannedTemplate],
) -> Rule:
    name = str(raw.get("name") or f"{set_name} #{position}") if isinstance(raw, Mapping) else ""
    where = f"{source}: rule {name!r}"
    _known(raw, {"name", "on", "if", "then"}, where)
    on_values = raw.get("on", ["new"])
    on_list = [on_values] if isinstance(on_values, str) else list(on_values)
    on = frozenset(_enum(Trigger, v, f"{where}: on") for v in on_list)
    conditions = raw.get("if", {})
    _known(conditions, set(CONDITIONS), f"{where}: if")
    parsed = tuple(_condition(key, value, where) for key, value in conditions.items())
    then = raw.get("then", {})
    _known(then, set(ACTIONS), f"{where}: then")
    if not then:
        raise RulesError(f"{where}: does nothing (give it a 'then')")
    actions = _actions(then, where)
    reply = actions.canned_reply
    if reply is not None and reply not in canned:
        raise RulesError(f"{where}: no canned reply {reply!r} (define [canned.{reply}])")
    return Rule(name, set_name, parsed, actions, on)


def _listed(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _condition(key: str, value: object, where: str) -> Condition:
    values = _listed(value)
    if not values:
        raise RulesError(f"{where}: {key} has no value")
    if key == "business_hours":
        value = values[0].strip() if isinstance(values[0], str) else values[0]
        if len(values) != 1 or not (isinstance(value, bool) or (isinstance(value, str) and value)):
            raise RulesError(
                f"{where}: business_hours is true, false or the name of a business calendar"
            )
        return Condition(key, (value,))
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise RulesError(f"{where}: {key} takes text (or a list of texts)")
    if key.endswith("_matches"):
        patterns = []
        for pattern in values:
            try:
                patterns.append(re.compile(pattern))
            except re.error as error:
                raise RulesError(
                    f"{where}: {key}: bad regular expression {pattern!r}: {error}"
                ) from None
        return Condition(key, tuple(patterns))
    if key.endswith("_contains"):
        return Condition(key, tuple(v.casefold() for v in values))
    try:
        if key == "channel":
            values = [Channel(v.strip().lower()).value for v in values]
        elif key == "type":
            values = [parse_type(v).value for v in values]
        elif key == "priority":
            values = [parse_priority(v).value for v in values]
        elif key == "tag":
            values = [parse_tag(v) for v in values]
        elif key == "sender_domain":
            values = [v.strip().lower().lstrip("@") for v in values]
        else:
            values = [v.strip().lower() for v in values]
    except (ValueError, InvalidValue) as error:
        raise RulesError(f"{where}: {key}: {error}") from None
    return Condition(key, tuple(values))


def _actions(then: Mapping[str, Any], where: str) -> Actions:
    values: dict[str, Any] = {}
    try:
        for key, value in then.items():
            if key == "tags":
                values["tags"] = tuple(parse_tag(str(t)) for t in _listed(value))
            elif key == "tier":
                values["tier"] = parse_tier(value)
            elif key == "type":
                values["type"] = parse_type(str(value)).value
            elif key == "priority":
                values["priority"] = parse_priority(str(value)).value
            elif not isinstance(value, str) or not value.strip():
                raise RulesError(f"{where}: {key} takes a name")
            else:
                values[key] = value.strip()
    except InvalidValue as error:
        raise RulesError(f"{where}: {error}") from None
    return Actions(**values)


def describe_conditions(rule: Rule) -> str:
    return " and ".join(c.describe() for c in rule.conditions) or "always"
