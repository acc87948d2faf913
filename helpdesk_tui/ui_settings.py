"""Terminal UI settings: the [ui] table of the config (key remaps, saved views, theme)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class UiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    theme: str = "textual-dark"
    """Textual theme name."""
