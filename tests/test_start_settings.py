"""The settings a start needs are kept from their last validation, and used only while
nothing they are made of changed (``start_settings``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_tui import start_settings
from helpdesk_tui.config import Settings, load_settings, secret_file_warnings, user_config_file
from helpdesk_tui.config_files import ConfigError
from helpdesk_tui.start_settings import StartSettings

VIEWS = """
desk_name = "Front desk"
[ui]
theme = "nord"
sla_warn_percent = 60
[ui.keymap]
"queue.search" = "s"
[ui.views.mine]
title = "Mine, urgent"
assignee = "me"
priorities = ["urgent"]
descending = false
[mail]
addresses = ["support@desk.example"]
[mail.smtp]
host = "smtp.example.com"
"""
LIMITS = """
rules_file = "/srv/desk/rules.toml"
[limits]
max_body_bytes = 4096
[mail]
addresses = ["support@desk.example"]
[mail.mailboxes.support]
host = "imap.example.com"
user = "support"
"""


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def _validate() -> Settings:
    """What ``Runtime.settings`` does: validate, then keep the start values."""
    made_of = start_settings.inputs()
    settings = load_settings()
    start_settings.keep(made_of, settings, secret_file_warnings(settings))
    return settings


def test_the_kept_values_are_the_validated_ones() -> None:
    _write(user_config_file(), VIEWS)
    assert start_settings.recall() is None  # never validated yet
    settings = _validate()
    kept, warnings = start_settings.recall() or (None, None)
    assert kept == StartSettings.from_settings(settings)
    assert warnings == []
    assert kept.desk_name == "Front desk" and kept.theme == "nord" and kept.mail_enabled
    assert kept.views["mine"]["descending"] is False
    assert start_settings.cache_file().stat().st_mode & 0o777 == 0o600


def test_the_saved_views_keep_the_order_of_the_config_file() -> None:
    """Their order gives them their keys (8, 9, 0) and their places in the tab bar: a start
    from the kept values must not sort them by name."""
    views = "".join(f'[ui.views.{name}]\ntitle = "{name}"\n' for name in ("zeta", "alpha", "mid"))
    _write(user_config_file(), views)
    settings = _validate()
    kept, _ = start_settings.recall() or (None, None)
    assert kept is not None
    assert list(settings.ui.views) == list(kept.views) == ["zeta", "alpha", "mid"]


def test_any_change_to_what_they_are_made_of_means_validating_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _write(user_config_file(), VIEWS)
    _validate()
    monkeypatch.setenv("HELPDESK_T0", "123")  # read by no setting
    monkeypatch.setenv("helpdesk_cache_dir_unused", "x")
    assert start_settings.recall() is not None
    for name, value in (("HELPDESK_DESK_NAME", "Other"), ("helpdesk_ui__theme", "nord")):
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            assert start_settings.recall() is None, name
    assert start_settings.recall() is not None
    path.chmod(0o644)
    assert start_settings.recall() is None
    path.chmod(0o600)
    _write(path, VIEWS.replace("nord", "gruvbox"))
    assert start_settings.recall() is None
    _write(path, 'desk_name = "Front desk"\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        _validate()
    assert start_settings.recall() is None


def test_warnings_come_back_with_the_values() -> None:
    _write(user_config_file(), '[mail]\nmessage_id_secret = "hunter2-hunter2"\n', mode=0o644)
    _validate()
    _kept, warnings = start_settings.recall() or (None, None)
    assert warnings and "mail.message_id_secret" in warnings[0]


def test_nothing_is_kept_when_the_database_url_holds_a_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", "postgresql+psycopg://desk:hunter2@db/desk")
    _validate()
    assert start_settings.recall() is None
    assert not start_settings.cache_file().exists()


def test_a_variable_that_is_not_utf8_is_refused_as_a_validation_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _validate()
    monkeypatch.setenv("HELPDESK_T0", "caf\udce9")
    with pytest.raises(ConfigError, match="HELPDESK_T0: its value is not valid UTF-8"):
        start_settings.recall()


def test_the_settings_keys_are_the_settings_fields() -> None:
    assert set(start_settings.SETTINGS_KEYS) == set(Settings.model_fields)


def test_what_write_verbs_and_mail_status_need_is_kept() -> None:
    _write(user_config_file(), LIMITS)
    settings = _validate()
    kept, _ = start_settings.recall() or (None, None)
    assert kept is not None
    assert kept.max_body_bytes == settings.limits.max_body_bytes == 4096
    assert kept.rules_path() == settings.rules_path() == Path("/srv/desk/rules.toml")
    assert kept.mailboxes == list(settings.mail.mailboxes) == ["support"]


def test_the_defaults_are_the_settings_defaults(tmp_path: Path) -> None:
    """A start value's default is its setting's, and so is where the rules are looked for."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}")
    start = StartSettings(database_url=settings.database_url)
    assert start == StartSettings.from_settings(settings)
    assert start.rules_path() == settings.rules_path()
