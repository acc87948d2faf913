"""Textual's stylesheets parsed once per test process, not once per app.

Every app a test starts parses the same CSS again (the app's files, each widget's
``DEFAULT_CSS``), and again when a screen's CSS is loaded or the theme's variables are set
(``Stylesheet.reparse`` starts from a new, empty ``Stylesheet``, whose parse cache is its
own): some 5 % of the screen tests' CPU time. ``install`` keeps what ``_parse_rules``
returned for the same CSS, location, scope and variables for the whole process, as each
``Stylesheet`` keeps it for itself (the rule sets are not changed once parsed; Textual
hands the same list out again from its own cache). A new or changed source, or other
variables (another theme), is parsed as before, errors included.

``install`` also hashes a ``RuleSet`` by identity in C (``object.__hash__``), as Textual's
own ``RuleSet.__hash__`` does in Python (``return id(self)``): ``Stylesheet.apply`` puts
the node's candidate rules in a set and tests every rule of the stylesheet against it, one
hash per rule per node styled — 5.5 million calls in six screen test files, 5 % of their CPU
time under a profile. Equal rule sets are the same object either way (the dataclass's
``__eq__`` is reached only on a hash match), and no set of rule sets is iterated in its
own order (``apply`` keeps ``Stylesheet.rules``' order): what is styled does not change."""

from __future__ import annotations

from typing import Any

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

_parse_rules = Stylesheet._parse_rules
_PARSED: dict[tuple[Any, ...], list[RuleSet]] = {}


def _kept_parse_rules(
    self: Stylesheet,
    css: str,
    read_from: Any,
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(self._variables.items()))
    rules = _PARSED.get(key)
    if rules is None:
        rules = _parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
        _PARSED[key] = rules
    return rules


def install() -> None:
    """For the rest of this process (tests/conftest.py, before the first test)."""
    Stylesheet._parse_rules = _kept_parse_rules  # type: ignore[method-assign]
    RuleSet.__hash__ = object.__hash__  # type: ignore[method-assign,assignment]
