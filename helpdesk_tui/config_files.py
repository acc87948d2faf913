"""Where the settings come from: the config files, the data directory, the default desk.

A leaf (standard library and platformdirs only), so the start paths that read the settings
without pydantic (:mod:`helpdesk_tui.start_settings`) and the commands that only name a
path (``helpdesk locate``) find the same files as :mod:`helpdesk_tui.config`.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "helpdesk-tui"
CONFIG_FILE = "config.toml"
RULES_FILE = "rules.toml"
ENV_PREFIX = "HELPDESK_"


class ConfigError(Exception):
    """A setting that cannot be used; the message names the key, where it came from, and why."""


def user_config_dir() -> Path:
    override = os.environ.get("HELPDESK_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path(APP_NAME)


def site_config_dir() -> Path:
    override = os.environ.get("HELPDESK_SITE_CONFIG_DIR")
    return Path(override) if override else platformdirs.site_config_path(APP_NAME)


def data_dir() -> Path:
    override = os.environ.get("HELPDESK_DATA_DIR")
    return Path(override) if override else platformdirs.user_data_path(APP_NAME)


def user_config_file() -> Path:
    return user_config_dir() / CONFIG_FILE


def site_config_file() -> Path:
    return site_config_dir() / CONFIG_FILE


def rules_path(rules_file: Path | None) -> Path:
    """Where the routing rules are read from (the file need not exist: no rules): the
    configured ``rules_file``, else ``rules.toml`` beside the site config file if it exists
    there, else beside the user's."""
    if rules_file is not None:
        return rules_file
    site = site_config_dir() / RULES_FILE
    return site if site.exists() else user_config_dir() / RULES_FILE


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'helpdesk.db'}"


def check_environment() -> None:
    """Every ``HELPDESK_*`` variable, name and value, is UTF-8 text.

    Python keeps bytes that are not UTF-8 as lone surrogates, which pass validation and
    fail far away (a database driver, a mail header) with a traceback; refuse them here,
    naming the variable.
    """
    for name, value in os.environ.items():
        if not name.upper().startswith(ENV_PREFIX):
            continue
        for part, text in (("name", name), ("value", value)):
            try:
                os.fsencode(text).decode("utf-8")
            except UnicodeDecodeError as error:
                raise ConfigError(
                    f"environment variable {name}: its {part} is not valid UTF-8 "
                    f"(byte {error.start}); set it as UTF-8"
                ) from None
