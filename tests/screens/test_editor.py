"""Handing text to ``$EDITOR``: what comes back, and what an agent is told when it cannot."""

from __future__ import annotations

import contextlib
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen

from helpdesk_tui.screens.editor import edit_in_editor


class _Told(App[None]):
    """An app that keeps what its screens notify, and that can hand over the terminal."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[str] = []

    def notify(self, message: str, **_kwargs: Any) -> None:  # type: ignore[override]
        self.told.append(message)

    def suspend(self) -> Any:  # type: ignore[override]
        return contextlib.nullcontext()  # the headless test driver cannot suspend


def _editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\n{script}\n")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)


async def test_the_text_saved_in_the_editor_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _editor(tmp_path, monkeypatch, 'printf "Dear Ann,\\nfixed.\\n\\n" > "$1"')
    app = _Told()
    async with app.run_test():
        screen: Screen[Any] = app.screen
        edited = edit_in_editor(screen, "draft", extension=".txt", what="reply")
    assert edited == "Dear Ann,\nfixed."
    assert app.told == []


async def test_text_that_is_not_utf8_is_refused_and_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _editor(tmp_path, monkeypatch, 'printf "caf\\351\\n" > "$1"')  # Latin-1, not UTF-8
    app = _Told()
    async with app.run_test():
        edited = edit_in_editor(app.screen, "draft", extension=".txt", what="reply")
    assert edited is None
    assert app.told == [
        "The reply written in the editor is not valid UTF-8 (byte 3); the text here is unchanged"
    ]


async def test_an_editor_closed_without_saving_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _editor(tmp_path, monkeypatch, "true")
    app = _Told()
    async with app.run_test():
        assert edit_in_editor(app.screen, "draft", extension=".md", what="article text") is None
    assert app.told == []
