"""Settings: a site-wide TOML file, the user's own over it, ``HELPDESK_*`` variables over both.

A team server configures the shared database once in the site file (platformdirs'
``site_config_path``); an agent may override anything in their own file
(``user_config_path``). Nested keys come from the environment with ``__``:
``HELPDESK_MAIL__SMTP__HOST``. Passwords are ``SecretStr`` and never printed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretBytes, SecretStr, ValidationError, field_validator
from pydantic_core import to_jsonable_python
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

# (names from config_files kept importable from here, where they always were)
from helpdesk_tui.config_files import APP_NAME as APP_NAME
from helpdesk_tui.config_files import CONFIG_FILE as CONFIG_FILE
from helpdesk_tui.config_files import (
    ENV_PREFIX,
    RULES_FILE,
    check_environment,
    rules_path,
    site_config_dir,
)
from helpdesk_tui.config_files import ConfigError as ConfigError
from helpdesk_tui.config_files import data_dir as data_dir
from helpdesk_tui.config_files import default_database_url as default_database_url
from helpdesk_tui.config_files import site_config_file as site_config_file
from helpdesk_tui.config_files import user_config_file as user_config_file
from helpdesk_tui.limits_settings import Limits
from helpdesk_tui.mail_settings import MailSettings
from helpdesk_tui.ui_settings import UiSettings
from helpdesk_tui.urls import mask_url, url_password

MASK = "********"


def _usable_sqlite(url: str) -> None:
    """A desk is a file at an absolute path: not in memory, not relative to where one stands."""
    path = url.removeprefix("sqlite:").removeprefix("//").removeprefix("/")
    path = path.split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:") or "mode=memory" in url:
        raise ValueError(
            "a desk cannot live in memory; give a file: sqlite:////srv/helpdesk/helpdesk.db"
        )
    if not path.startswith("/"):
        raise ValueError(
            f"{path!r} is a relative path (sqlite:/// then an absolute path, so four slashes: "
            "sqlite:////srv/helpdesk/helpdesk.db)"
        )


class KbSettings(BaseModel):
    """The knowledge base's public side."""

    model_config = {"extra": "forbid"}

    public_url: str = ""
    """Where ``helpdesk kb export --html`` output is published (``https://help.example.com``);
    article links in replies and acknowledgements start with it. Empty: no links."""

    site_title: str = "Help center"
    """The title of the exported help site."""


class Settings(BaseSettings):
    """Everything helpdesk-tui can be told. Unknown keys are refused, not ignored."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    database_url: str = Field(default_factory=default_database_url)
    """SQLAlchemy URL: ``sqlite:///path`` or ``postgresql+psycopg://user@host/db``."""

    desk_name: str = "Helpdesk"
    """Shown in the title bar and in outgoing mail."""

    mail: MailSettings = Field(default_factory=MailSettings)
    """Mailboxes and SMTP; see the README."""

    ui: UiSettings = Field(default_factory=UiSettings)
    """Keys, saved views and looks of the terminal UI."""

    limits: Limits = Field(default_factory=Limits)
    """Size limits on what agents write (``max_body_bytes``); mail has its own in ``mail``."""

    kb: KbSettings = Field(default_factory=KbSettings)
    """The knowledge base: the public help site's address and title."""

    rules_file: Path | None = None
    """The routing rules (TOML); default: ``rules.toml`` beside the site config file if it
    exists there, else beside the user's (``helpdesk locate config`` shows both)."""

    def rules_path(self) -> Path:
        """Where the routing rules are read from (the file need not exist: no rules)."""
        return rules_path(self.rules_file)

    def rules_origin(self) -> RulesOrigin:
        """:meth:`rules_path`, whose file it is, and whether it shadows the site's."""
        return rules_origin(self.rules_file)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError(
                "must start with sqlite:/// or postgresql+psycopg:// "
                "(e.g. postgresql+psycopg://helpdesk@dbhost/helpdesk)"
            )
        if value.startswith("postgresql://") or value.startswith("postgresql+psycopg2"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:"):
            _usable_sqlite(value)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=user_config_file()),
            TomlConfigSettingsSource(settings_cls, toml_file=site_config_file()),
        )


@dataclass(frozen=True)
class IntakeOptions:
    """What taking mail in needs from the settings: ``[mail]`` and the desk-wide settings it
    uses (the desk's name in acknowledgements, the help site's address, the routing rules).

    Built once by :meth:`from_settings` and handed on whole, to the mail service and to a
    retry or release of held mail."""

    mail: MailSettings
    desk_name: str = "Helpdesk"
    kb_public_url: str = ""
    rules_file: Path | None = None
    """The routing rules; None: no rules."""

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeOptions:
        return cls(
            mail=settings.mail,
            desk_name=settings.desk_name,
            kb_public_url=settings.kb.public_url,
            rules_file=settings.rules_path(),
        )


@dataclass(frozen=True)
class RulesOrigin:
    """The routing rules this process reads (``path``), ``whose`` file that is in words
    ("the site's", "yours, beside your config"…), and ``shadow``: one line when it is this
    user's own while the site has a ``rules.toml`` — the mail runner, another login on a
    team server, routes by its own config (most likely the site's), not by this file."""

    path: Path
    whose: str
    shadow: str | None = None


def rules_origin(rules_file: Path | None) -> RulesOrigin:
    """Where the routing rules come from for settings whose ``rules_file`` is this."""
    site = site_config_dir() / RULES_FILE
    path = rules_path(rules_file)
    if rules_file is not None:
        where = setting_source(("rules_file",))
        whose = f"rules_file in {where}" if where else "rules_file"
        own = where != str(site_config_file())
    elif path == site:
        whose, own = "the site's", False
    else:
        whose, own = "yours, beside your config: the site has no rules.toml", True
    shadow = None
    if own and path != site and site.exists():
        shadow = (
            f"Your own file shadows the site's {site}: mail is routed by the config of the "
            "process that runs it (helpdesk mail run), not by this file"
        )
    return RulesOrigin(path, whose, shadow)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not valid UTF-8 (byte {error.start}); save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None


def _has_key(data: dict[str, Any], location: tuple[str | int, ...]) -> bool:
    node: Any = data
    for part in location:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            return False
        node = node[part]
    return True


_DEFAULTS = "defaults"
"""Where a setting no file or variable gives comes from, as an error names it."""


def setting_source(location: tuple[str, ...]) -> str | None:
    """Where the setting at ``location`` (``("ui", "keymap", "queue.search")``) comes from:
    its environment variable or the config file that has it; None when neither has it."""
    where = _source_of(location, [user_config_file(), site_config_file()])
    return None if where == _DEFAULTS else where


def _source_of(location: tuple[str | int, ...], files: list[Path]) -> str:
    env_name = ENV_PREFIX + "__".join(str(p) for p in location).upper()
    if env_name in os.environ:
        return f"environment variable {env_name}"
    for path in files:
        if _has_key(_read_toml(path), location):
            return str(path)
    return _DEFAULTS


def _table_source(table: tuple[str | int, ...], files: list[Path]) -> str:
    """Where the table ``table`` (``("mail", "mailboxes", "support")``) was given: the
    environment variables of its keys or the config file that has it (else its own
    table's, up to the top)."""
    while table:
        env_prefix = ENV_PREFIX + "__".join(str(p) for p in table).upper() + "__"
        if any(name.startswith(env_prefix) for name in os.environ):
            return f"environment variables {env_prefix}*"
        where = _source_of(table, files)
        if where != _DEFAULTS:
            return where
        table = table[:-1]
    return _DEFAULTS


def _unparsable(error: SettingsError) -> ConfigError:
    """A nested setting given as a ``HELPDESK_*`` variable that is not JSON (``HELPDESK_MAIL``)."""
    found = re.search(r'field "(\w+)"', str(error))
    where = (
        f"environment variable {ENV_PREFIX}{found.group(1).upper()}"
        if found
        else f"a {ENV_PREFIX}* environment variable"
    )
    return ConfigError(
        f"{where}: not valid JSON; or set its keys one by one, like {ENV_PREFIX}MAIL__SMTP__HOST"
    )


def load_settings(**overrides: Any) -> Settings:
    """The effective settings, or a ConfigError whose message a person can act on."""
    check_environment()
    files = [user_config_file(), site_config_file()]
    for path in files:
        _read_toml(path)
    try:
        return Settings(**overrides)
    except SettingsError as error:
        raise _unparsable(error) from None
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            location = tuple(problem["loc"])
            key = ".".join(str(p) for p in location)
            where = _source_of(location, files)
            if problem["type"] == "extra_forbidden":
                lines.append(f"unknown setting {key!r} in {where}")
            elif problem["type"] == "missing" and len(location) > 1:
                table = ".".join(str(p) for p in location[:-1])
                where = _table_source(location[:-1], files)
                lines.append(f"missing setting {key!r} in {where}: its [{table}] table needs it")
            else:
                message = problem["msg"].removeprefix("Value error, ")
                lines.append(f"bad value for {key!r} in {where}: {message}")
        raise ConfigError("; ".join(lines)) from None


def _masked(value: Any) -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, BaseModel):
        return {name: _masked(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(key): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(item) for item in value]
    return to_jsonable_python(value)


def masked(settings: BaseModel) -> dict[str, Any]:
    """The settings as plain data with every secret, at any depth, shown as ``********``.

    Walks the values themselves rather than trusting ``model_dump``, so a serializer that
    reveals a secret (to write a config file, say) can never leak it here. An empty secret
    shows as ``""``: that it is unset is no secret. A password inside ``database_url`` is
    masked too (:func:`helpdesk_tui.urls.mask_url`).
    """
    data = _masked(settings)
    assert isinstance(data, dict)
    if isinstance(data.get("database_url"), str):
        data["database_url"] = mask_url(data["database_url"])
    return data


def _secret_locations(
    value: Any, location: tuple[str | int, ...] = ()
) -> Iterator[tuple[str | int, ...]]:
    """Where the settings hold a non-empty secret (a password in ``database_url`` is one)."""
    if location == ("database_url",) and isinstance(value, str):
        if url_password(value):
            yield location
    elif isinstance(value, SecretStr | SecretBytes):
        if value.get_secret_value():
            yield location
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_locations(getattr(value, name), (*location, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _secret_locations(item, (*location, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _secret_locations(item, (*location, index))


def secret_file_warnings(settings: BaseModel) -> list[str]:
    """Config files that hold a secret others may read.

    The user's file must be private (0600); the site file may be shared with a group (agents
    read it) but must not be readable by every account on the server.
    """
    if os.name == "nt":
        return []
    secrets = list(_secret_locations(settings))
    warnings = []
    for path, exposed, fix in (
        (user_config_file(), 0o077, "600"),
        (site_config_file(), 0o007, "640"),
    ):
        try:
            mode = path.stat().st_mode
        except OSError:
            continue
        if not mode & exposed:
            continue
        data = _read_toml(path)
        held = [".".join(map(str, loc)) for loc in secrets if _has_key(data, loc)]
        if held:
            warnings.append(
                f"{path} holds {', '.join(held)} and others can read it; run: chmod {fix} {path}"
            )
    return warnings
