"""Terminal UI settings: the [ui] table of the config (key remaps, saved views, theme).

```toml
[ui.keymap]
"queue.search" = "ctrl+f,slash"  # binding id = comma-separated keys

[ui.views.mine-urgent]
title = "My urgent"
assignee = "me"
priorities = ["urgent", "high"]
open_only = true
sort = "priority"
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_THEME = "textual-dark"


class SavedView(BaseModel):
    """A named queue view from config; empty fields do not filter."""

    model_config = ConfigDict(extra="forbid")
    title: str = ""
    """Shown in the view switcher; the table's name when empty."""
    statuses: list[str] = Field(default_factory=list)
    priorities: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    assignee: str | None = None
    """An agent login, or ``me`` for whoever runs the app."""
    unassigned: bool = False
    team: str | None = None
    tag: str | None = None
    category: str | None = None
    open_only: bool = False
    """Only tickets that still need somebody (ignored when ``statuses`` is set)."""
    search: str | None = None
    """Full-text search over subjects and messages."""
    sort: str = "updated"
    """number, subject, requester, status, priority, assignee, updated, created or sla."""
    descending: bool = True


class UiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    theme: str = DEFAULT_THEME
    """Textual theme name (one of Textual's built-in themes)."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id → keys (comma-separated), e.g. ``"queue.search" = "ctrl+f"``; see the ? screen."""
    views: dict[str, SavedView] = Field(default_factory=dict)
    """Saved queue views by name, after the built-in ones (keys 8, 9 and 0 for the first three;
    v and V step through every view)."""
    sla_warn_percent: int = Field(default=75, ge=1, le=99)
    """SLA deadlines the desk keeps no warning time for show in the warning colour once this
    share (%) of their wall time has passed (the queue's badge and the ticket's side panel
    turn when the policy's warning is due, as its alert goes)."""

    @field_validator("theme")
    @classmethod
    def _known_theme(cls, value: str) -> str:
        if value == DEFAULT_THEME:
            return value
        # Imported only for a non-default theme: the CLI's start-up stays free of Textual.
        from textual.theme import BUILTIN_THEMES

        if value not in BUILTIN_THEMES:
            raise ValueError(
                f"unknown theme {value!r}; use one of: {', '.join(sorted(BUILTIN_THEMES))}"
            )
        return value
