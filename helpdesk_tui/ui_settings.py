"""Terminal UI settings: the [ui] table of the config (key remaps, saved views, theme).

```toml
[ui.keymap]
"queue.search" = "s,slash"     # binding id = comma-separated keys

[ui.views.mine-urgent]
title = "My urgent"
assignee = "me"
priorities = ["urgent", "high"]
open_only = true
sort = "priority"
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
    theme: str = "textual-dark"
    """Textual theme name."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id → keys (comma-separated), e.g. ``"queue.search" = "s"``; see the ? screen."""
    views: dict[str, SavedView] = Field(default_factory=dict)
    """Saved queue views by name, after the built-in ones (keys 7, 8, 9 for the first three)."""
