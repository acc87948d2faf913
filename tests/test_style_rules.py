"""House rules for the look, checked on the source: colours come from the theme, a widget's
DEFAULT_CSS is scoped under its own type, a screen's CSS lives in its own ``.tcss`` file.

A theme (or NO_COLOR, or a light terminal) can only do its work if no rule names a colour of
its own; an unscoped ``#id`` in a widget's CSS styles whatever else carries that id.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.app import App
from textual.color import Color, ColorParseError
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

import helpdesk_tui

PACKAGE = Path(helpdesk_tui.__file__).parent
UI_PACKAGES = ("helpdesk_tui.screens", "helpdesk_tui.widgets")
ALLOWED_WORDS = {"transparent"}
"""Colour words that name no colour of their own."""


@dataclass(frozen=True)
class Rule:
    depth: int
    """0 for a rule at the top, 1 for one nested in it (``&:focus``), …"""
    selector: str
    declarations: tuple[tuple[str, str], ...]


def parse_css(css: str) -> list[Rule]:
    """Rules with their selectors and declarations; enough of CSS for these checks."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: list[Rule] = []
    stack: list[tuple[str, list[tuple[str, str]]]] = []
    buffer = ""

    def declaration() -> None:
        text = buffer.strip()
        if text and stack:
            name, _, value = text.partition(":")
            stack[-1][1].append((name.strip(), value.strip()))

    for char in css:
        if char == "{":
            stack.append((" ".join(buffer.split()), []))
            buffer = ""
        elif char == ";":
            declaration()
            buffer = ""
        elif char == "}":
            declaration()
            buffer = ""
            selector, declarations = stack.pop()
            rules.append(Rule(len(stack), selector, tuple(declarations)))
        else:
            buffer += char
    assert not stack and not buffer.strip(), f"unbalanced CSS: {css!r}"
    return rules


_VALUE_TOKEN = re.compile(r"[a-z-]+\([^)]*\)|#[0-9a-fA-F]+|\$?[\w-]+%?")


def literal_colours(css: str) -> list[str]:
    """Every colour a declaration names itself (hex, rgb()/hsl(), or a name like ``red``)."""
    found = []
    for rule in parse_css(css):
        for name, value in rule.declarations:
            for token in _VALUE_TOKEN.findall(value):
                if token.startswith("$") or token in ALLOWED_WORDS:
                    continue
                try:
                    Color.parse(token)
                except ColorParseError:
                    continue
                found.append(f"{rule.selector} {{ {name}: {value} }}")
    return found


def selectors(rule: Rule) -> list[str]:
    return [part.strip() for part in rule.selector.split(",")]


def unscoped(css: str, type_name: str) -> list[str]:
    """Top-level selectors that do not start with ``type_name`` (nested ones are scoped by
    the rule they sit in)."""
    scoped = re.compile(rf"{re.escape(type_name)}(?![\w-])")
    return [
        selector
        for rule in parse_css(css)
        if rule.depth == 0
        for selector in selectors(rule)
        if not scoped.match(selector)
    ]


def _ui_classes() -> list[type[DOMNode]]:
    """Every widget, screen and app class defined in helpdesk_tui's UI modules."""
    importlib.import_module("helpdesk_tui.app")
    for name in UI_PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.iter_modules(package.__path__, f"{name}."):
            importlib.import_module(module.name)
    seen: set[type[DOMNode]] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
    ours = [cls for cls in seen if cls.__module__.startswith("helpdesk_tui.")]
    return sorted(ours, key=lambda cls: (cls.__module__, cls.__qualname__))


UI_CLASSES = _ui_classes()
WIDGETS = [c for c in UI_CLASSES if issubclass(c, Widget) and not issubclass(c, Screen)]
SCREENS = [c for c in UI_CLASSES if issubclass(c, Screen)]
TCSS_FILES = sorted(PACKAGE.rglob("*.tcss"))


def _id(cls: type[DOMNode]) -> str:
    return f"{cls.__module__.removeprefix('helpdesk_tui.')}.{cls.__qualname__}"


def _own_css(cls: type[DOMNode]) -> str:
    return "\n".join(str(cls.__dict__.get(name, "")) for name in ("DEFAULT_CSS", "CSS"))


def _css_files(cls: type[DOMNode]) -> list[Path]:
    """The files a screen's or the app's CSS_PATH names (relative to the defining module)."""
    owner = next((c for c in cls.__mro__ if "CSS_PATH" in c.__dict__), None)
    if owner is None or owner.__dict__["CSS_PATH"] is None:
        return []
    paths = owner.__dict__["CSS_PATH"]
    paths = paths if isinstance(paths, list) else [paths]
    here = Path(inspect.getfile(owner)).parent
    return [path if Path(path).is_absolute() else here / path for path in map(Path, paths)]


def test_the_checks_catch_what_they_are_for() -> None:
    """The checks themselves, on CSS that breaks each rule."""
    assert literal_colours("A { color: red; background: $panel 50%; }") == ["A { color: red }"]
    assert literal_colours("A { border: thick #ff0000; }") != []
    assert literal_colours("A { &:focus { background: rgb(1, 2, 3); } }") != []
    assert literal_colours("A { border: solid $primary; text-style: bold; }") == []
    assert unscoped("#ticket-body { height: 1fr; }", "Thread") == ["#ticket-body"]
    assert unscoped("Thread, #body { height: 1fr; }", "Thread") == ["#body"]
    assert unscoped("ThreadView { }", "Thread") == ["ThreadView"]
    assert unscoped("Thread.-on #x { } Thread { & > .a { } }", "Thread") == []


@pytest.mark.parametrize("path", TCSS_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_tcss_colours_come_from_the_theme(path: Path) -> None:
    assert literal_colours(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", TCSS_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_tcss_selectors_start_with_a_type_or_a_class(path: Path) -> None:
    """Screen CSS applies app-wide once loaded: a bare ``#id`` would reach other screens."""
    bare = [
        selector
        for rule in parse_css(path.read_text(encoding="utf-8"))
        if rule.depth == 0
        for selector in selectors(rule)
        if selector.startswith("#")
    ]
    assert bare == []


@pytest.mark.parametrize("cls", UI_CLASSES, ids=_id)
def test_default_css_colours_come_from_the_theme(cls: type[DOMNode]) -> None:
    assert literal_colours(_own_css(cls)) == []


@pytest.mark.parametrize("cls", WIDGETS, ids=_id)
def test_widget_default_css_is_scoped_under_its_type(cls: type[DOMNode]) -> None:
    assert unscoped(_own_css(cls), cls.__name__) == []


@pytest.mark.parametrize("cls", SCREENS, ids=_id)
def test_a_screen_keeps_its_css_in_a_tcss_file(cls: type[DOMNode]) -> None:
    assert _own_css(cls).strip() == "", "move it to screens/<name>.tcss (CSS_PATH)"
    for path in _css_files(cls):
        assert path.suffix == ".tcss" and path.is_file(), path


def test_the_app_keeps_its_css_in_a_tcss_file() -> None:
    [app] = [c for c in UI_CLASSES if issubclass(c, App)]
    assert _own_css(app).strip() == ""
    assert all(path.suffix == ".tcss" and path.is_file() for path in _css_files(app))


def _css_assignments() -> Iterator[tuple[str, ast.expr]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            for target in targets:
                if isinstance(target, ast.Name) and target.id.endswith("CSS"):
                    yield f"{path.relative_to(PACKAGE)}:{node.lineno} {target.id}", value


def test_css_is_written_out_never_built_with_format_or_concatenation() -> None:
    """CSS built from a template hides its selectors from every check above (and from
    readers): each DEFAULT_CSS/CSS is one string literal."""
    built = [
        where
        for where, value in _css_assignments()
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str))
    ]
    assert built == []
