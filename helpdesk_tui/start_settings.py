"""The settings a start needs, without loading pydantic when nothing changed since they were
last checked.

Validating the settings (:mod:`helpdesk_tui.config`) imports pydantic and builds every
settings model: about as long as Textual takes to draw its first screen. The terminal UI's
first paint and most verbs (``helpdesk ticket list``, ``ticket note``, ``mail status``) need
only a few values: the database URL, the desk's name, the ``[ui]`` table, whether mail is
configured and its mailboxes' names, the largest text an agent may write and the routing
rules' file.

So every full validation keeps, in the user's cache dir (``settings.json``, 0600), those
values *as validated* with a fingerprint of everything they came from: both config files
(bytes and mode), the ``HELPDESK_*`` variables they read, the default desk's path and this code's
settings modules. A start whose inputs have that fingerprint uses the kept values; any
change — an edited file, a variable set, an upgrade — means a full validation first, so a
bad setting is still a one-line error before anything is drawn. Nothing secret is kept:
when the database URL holds a password, no values are kept and every start validates.

A leaf: standard library, platformdirs and the path helpers only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpdesk_tui import __version__
from helpdesk_tui.completion_cache import cache_dir, write_private
from helpdesk_tui.config_files import (
    ENV_PREFIX,
    check_environment,
    default_database_url,
    rules_path,
    site_config_file,
    user_config_file,
)
from helpdesk_tui.urls import url_password

if TYPE_CHECKING:
    from helpdesk_tui.config import Settings

FILE = "settings.json"
_CODE = ("config.py", "config_files.py", "mail_settings.py", "ui_settings.py", "limits_settings.py")
"""The modules whose code decides what a valid setting is (and this one)."""


@dataclass(frozen=True)
class StartSettings:
    """What drawing the first screen, or a reading verb, needs from the settings."""

    database_url: str
    desk_name: str = "Helpdesk"
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Saved queue views by name: each one's fields, as validated."""
    sla_warn_percent: int = 75
    mail_enabled: bool = False
    mailboxes: list[str] = field(default_factory=list)
    """The names of the IMAP mailboxes (``[mail.mailboxes.NAME]``), for ``mail status``."""
    max_body_bytes: int = 1024 * 1024
    """``limits.max_body_bytes`` (its default is ``limits_settings.DEFAULT_MAX_BODY_BYTES``)."""
    rules_file: str | None = None
    """``rules_file`` as configured (None: the default place, ``config_files.rules_path``)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> StartSettings:
        """The start values of validated settings: the one place they are taken from them."""
        return cls(
            database_url=settings.database_url,
            desk_name=settings.desk_name,
            theme=settings.ui.theme,
            keymap=dict(settings.ui.keymap),
            views={name: view.model_dump() for name, view in settings.ui.views.items()},
            sla_warn_percent=settings.ui.sla_warn_percent,
            mail_enabled=settings.mail.enabled,
            mailboxes=list(settings.mail.mailboxes),
            max_body_bytes=settings.limits.max_body_bytes,
            rules_file=None if settings.rules_file is None else str(settings.rules_file),
        )

    def rules_path(self) -> Path:
        """Where the routing rules are read from, as ``Settings.rules_path``."""
        return rules_path(None if self.rules_file is None else Path(self.rules_file))


def start_of(settings: Settings | StartSettings) -> StartSettings:
    if isinstance(settings, StartSettings):
        return settings
    return StartSettings.from_settings(settings)


def cache_file() -> Path:
    return cache_dir() / FILE


def _file_input(path: Path) -> list[Any]:
    try:
        mode = path.stat().st_mode
        content = path.read_bytes()
    except FileNotFoundError:
        return [str(path), None]
    return [str(path), mode, hashlib.sha256(content).hexdigest()]


SETTINGS_KEYS = ("database_url", "desk_name", "mail", "ui", "limits", "kb", "rules_file")
"""The settings' top-level keys (``config.Settings``' fields; a test holds them equal)."""
_DIRECTORIES = ("CONFIG_DIR", "SITE_CONFIG_DIR", "DATA_DIR")


def _read_by_settings(name: str) -> bool:
    """A variable the settings are read from (as pydantic-settings matches them: any case,
    ``__`` into nested keys), or one that says where their files are."""
    upper = name.upper()
    if not upper.startswith(ENV_PREFIX):
        return False
    key = upper.removeprefix(ENV_PREFIX)
    top = key.split("__", 1)[0]
    return key in _DIRECTORIES or top.lower() in SETTINGS_KEYS


def inputs() -> str:
    """The fingerprint of everything the settings are made of, as of now."""
    here = Path(__file__).parent
    code = []
    for name in (*_CODE, Path(__file__).name):
        with contextlib.suppress(OSError):
            status = (here / name).stat()
            code.append([name, status.st_mtime_ns, status.st_size])
    environment = sorted(
        [name, value] for name, value in os.environ.items() if _read_by_settings(name)
    )
    made_of = {
        "version": __version__,
        "code": code,
        "files": [_file_input(user_config_file()), _file_input(site_config_file())],
        "environment": environment,
        "default_database_url": default_database_url(),
    }
    text = json.dumps(made_of, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def keep(made_of: str, settings: Settings, warnings: list[str]) -> None:
    """Keep the start values of ``settings`` (validated from inputs ``made_of``) and the
    warnings their validation gave; unchanged content is not rewritten. Kept only if the
    inputs did not change meanwhile, and never when the database URL holds a password."""
    path = cache_file()
    if url_password(settings.database_url) or inputs() != made_of:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return
    data = {
        "inputs": made_of,
        "start": asdict(StartSettings.from_settings(settings)),
        "warnings": list(warnings),
    }
    # Not sorted: the saved views' order is their keys' (8, 9, 0, …) and the tab bar's.
    text = json.dumps(data, ensure_ascii=False)
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return
    write_private(path, text)


def recall() -> tuple[StartSettings, list[str]] | None:
    """The kept start values and warnings, if the settings' inputs are still those they
    were validated from; None if they changed (or nothing usable is kept). A variable that
    is not UTF-8 is refused here too (``ConfigError``), as a validation would."""
    check_environment()
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        if data["inputs"] != inputs():
            return None
        start = StartSettings(**data["start"])
        warnings = [str(warning) for warning in data["warnings"]]
    except (KeyError, TypeError):
        return None
    if not isinstance(start.database_url, str) or url_password(start.database_url):
        return None
    return start, warnings
