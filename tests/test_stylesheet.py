"""The app's stylesheet parses each source once while the CSS variables stay the same, and
again when they change (another theme): Textual's parsed the app's CSS three times before
the first paint (≈ 26 ms of CPU for rules it already had)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.css import stylesheet as stylesheet_module
from textual.css.stylesheet import Stylesheet

from helpdesk_tui.stylesheet import KeptStylesheet
from tests import css_rules

CSS = "KeptProbe { background: $probe; }"
OTHER = "OtherProbe { color: red; }"


def parsed_by(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The CSS texts Textual's parser is run on from now (through Textual's own
    ``_parse_rules``: not the tests' process-wide cache, ``tests/css_rules.py``)."""
    runs: list[str] = []
    parse = stylesheet_module.parse

    def counted(scope: str, css: str, *args: Any, **kwargs: Any) -> Any:
        runs.append(css)
        return parse(scope, css, *args, **kwargs)

    monkeypatch.setattr(Stylesheet, "_parse_rules", css_rules._parse_rules)
    monkeypatch.setattr(stylesheet_module, "parse", counted)
    return runs


def background(sheet: Stylesheet) -> str:
    rule = next(rule for rule in sheet.rules if "KeptProbe" in rule.selectors)
    return str(rule.styles.background)


@pytest.mark.parametrize("kind", [KeptStylesheet, Stylesheet])
def test_each_source_is_parsed_once_while_the_variables_stay(
    monkeypatch: pytest.MonkeyPatch, kind: type[Stylesheet]
) -> None:
    """As the app starts: parsed as the first screen is registered, then the theme's
    variables set again and ``reparse`` (``App.refresh_css``), then a widget's new CSS."""
    runs = parsed_by(monkeypatch)
    sheet = kind(variables={"probe": "red"})
    sheet.add_source(CSS, read_from=("probe.tcss", ""))
    sheet.parse()
    sheet.set_variables({"probe": "red"})
    sheet.reparse()
    sheet.add_source(OTHER, read_from=("other.tcss", ""))
    sheet.parse()
    if kind is Stylesheet:  # Textual's own: when this fails, it parses once itself, and
        assert runs.count(CSS) == 3  # KeptStylesheet has no reason left to be
        return
    assert runs.count(CSS) == 1
    assert runs.count(OTHER) == 1
    assert "255,0,0" in background(sheet).replace(" ", "")
    sheet.set_variables({"probe": "blue"})  # another theme: parsed again, with its colours
    sheet.reparse()
    assert runs.count(CSS) == 2
    assert "0,0,255" in background(sheet).replace(" ", "")
