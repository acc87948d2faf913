from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretBytes, SecretStr, field_serializer

from helpdesk_tui.config import (
    MASK,
    ConfigError,
    KbSettings,
    load_settings,
    masked,
    secret_file_warnings,
    site_config_file,
    user_config_file,
)
from helpdesk_tui.mail_settings import MailSettings


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_site_then_user_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _write(site_config_file(), 'desk_name = "Site"\n[ui]\ntheme = "nord"\n')
    assert load_settings().desk_name == "Site"
    _write(user_config_file(), 'desk_name = "User"\n')
    settings = load_settings()
    assert (settings.desk_name, settings.ui.theme) == ("User", "nord")
    monkeypatch.setenv("HELPDESK_DESK_NAME", "Env")
    monkeypatch.setenv("HELPDESK_UI__THEME", "gruvbox")
    settings = load_settings()
    assert (settings.desk_name, settings.ui.theme) == ("Env", "gruvbox")


def test_bad_value_in_a_file_names_key_file_and_what_is_allowed() -> None:
    path = _write(user_config_file(), 'database_url = "mysql://db/helpdesk"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"bad value for 'database_url' in {path}: ")
    assert "must start with sqlite:/// or postgresql+psycopg://" in message
    assert "\n" not in message


def test_unknown_theme_lists_the_themes_there_are() -> None:
    path = _write(user_config_file(), '[ui]\ntheme = "neon"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"bad value for 'ui.theme' in {path}: unknown theme 'neon'; use one")
    assert "nord" in message and "textual-dark" in message


def test_bad_value_in_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    _write(site_config_file(), 'database_url = "sqlite:////srv/fine.db"\n')
    monkeypatch.setenv("HELPDESK_DATABASE_URL", "mysql://db/helpdesk")
    with pytest.raises(
        ConfigError, match="'database_url' in environment variable HELPDESK_DATABASE_URL"
    ):
        load_settings()


def test_unknown_key_and_broken_toml() -> None:
    path = _write(site_config_file(), 'colour = "blue"\n')
    with pytest.raises(ConfigError, match=f"unknown setting 'colour' in {path}"):
        load_settings()
    _write(site_config_file(), "desk_name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_postgresql_urls_get_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", "postgresql://desk@db/helpdesk")
    assert load_settings().database_url == "postgresql+psycopg://desk@db/helpdesk"


class _Box(BaseModel):
    user: str
    password: SecretStr


class _Revealing(BaseModel):
    token: SecretStr

    @field_serializer("token")
    def _reveal(self, value: SecretStr) -> str:
        return value.get_secret_value()


class _Deep(BaseModel):
    boxes: dict[str, _Box]
    spares: list[_Box]
    key: SecretBytes
    unset: SecretStr = SecretStr("")
    maybe: _Box | None = None
    revealing: _Revealing


def test_masked_hides_secrets_at_any_depth() -> None:
    deep = _Deep(
        boxes={"support": _Box(user="desk", password=SecretStr("p1"))},
        spares=[_Box(user="spare", password=SecretStr("p2"))],
        key=SecretBytes(b"p3"),
        maybe=_Box(user="maybe", password=SecretStr("p4")),
        revealing=_Revealing(token=SecretStr("p5")),
    )
    assert masked(deep) == {
        "boxes": {"support": {"user": "desk", "password": MASK}},
        "spares": [{"user": "spare", "password": MASK}],
        "key": MASK,
        "unset": "",
        "maybe": {"user": "maybe", "password": MASK},
        "revealing": {"token": MASK},
    }
    assert "p5" in deep.model_dump_json()  # the serializer would have leaked it


def test_masked_real_settings_hide_mail_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_MAIL__MESSAGE_ID_SECRET", "not-for-your-eyes")
    data = masked(load_settings())
    assert data["mail"]["message_id_secret"] == MASK
    assert "not-for-your-eyes" not in repr(data)


def test_warns_when_others_can_read_a_file_holding_a_secret() -> None:
    path = _write(user_config_file(), '[mail]\nmessage_id_secret = "s3cret-s3cret-s3cret"\n', 0o644)
    [warning] = secret_file_warnings(load_settings())
    assert warning == (
        f"{path} holds mail.message_id_secret and others can read it; run: chmod 600 {path}"
    )
    path.chmod(0o600)
    assert secret_file_warnings(load_settings()) == []


def test_no_warning_for_a_readable_file_without_secrets() -> None:
    _write(user_config_file(), 'desk_name = "Open"\n', 0o644)
    assert secret_file_warnings(load_settings()) == []


def test_site_file_may_be_shared_with_a_group_but_not_everyone() -> None:
    path = _write(site_config_file(), '[mail]\nmessage_id_secret = "s3cret-s3cret-s3cret"\n', 0o640)
    assert secret_file_warnings(load_settings()) == []
    path.chmod(0o644)
    [warning] = secret_file_warnings(load_settings())
    assert warning.endswith(f"run: chmod 640 {path}")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sqlite://", "cannot live in memory"),
        ("sqlite:///:memory:", "cannot live in memory"),
        ("sqlite:///file:desk?mode=memory&uri=true", "cannot live in memory"),
        ("sqlite:///helpdesk.db", "'helpdesk.db' is a relative path"),
        ("sqlite:///~/helpdesk.db", "is a relative path"),
    ],
)
def test_in_memory_and_relative_sqlite_urls_are_refused(
    monkeypatch: pytest.MonkeyPatch, url: str, words: str
) -> None:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", url)
    with pytest.raises(ConfigError, match="HELPDESK_DATABASE_URL") as raised:
        load_settings()
    assert words in str(raised.value)


def test_a_password_in_database_url_is_masked_and_warned_about() -> None:
    url = "postgresql+psycopg://desk:pa%40ss@db.example/helpdesk?sslmode=require"
    path = _write(user_config_file(), f'database_url = "{url}"\n', mode=0o644)
    settings = load_settings()
    assert masked(settings)["database_url"] == (
        "postgresql+psycopg://desk:***@db.example/helpdesk?sslmode=require"
    )
    assert secret_file_warnings(settings) == [
        f"{path} holds database_url and others can read it; run: chmod 600 {path}"
    ]
    path.chmod(0o600)
    assert secret_file_warnings(load_settings()) == []
    _write(user_config_file(), 'database_url = "postgresql+psycopg://desk@db.example/h"\n', 0o644)
    assert secret_file_warnings(load_settings()) == []


def test_mask_url_and_scrub() -> None:
    from helpdesk_tui.urls import mask_url, scrub

    assert (
        mask_url("postgresql+psycopg://u:s3cret@h:5432/d") == "postgresql+psycopg://u:***@h:5432/d"
    )
    assert mask_url("postgresql+psycopg://u@h/d?password=s3cret") == (
        "postgresql+psycopg://u@h/d?password=***"
    )
    assert mask_url("sqlite:////srv/helpdesk/helpdesk.db") == "sqlite:////srv/helpdesk/helpdesk.db"
    url = "postgresql+psycopg://u:p@ss:w0rd@h/d"
    assert mask_url(url) == "postgresql+psycopg://u:***@h/d"
    said = scrub(f"could not parse {url!r}; password p@ss:w0rd rejected", url)
    assert "p@ss:w0rd" not in said and "postgresql+psycopg://u:***@h/d" in said


def test_a_missing_key_names_the_table_and_file_that_lack_it() -> None:
    """A mailbox without its ``user`` said "bad value for … in defaults: Field required":
    neither where to look nor what to add."""
    path = _write(
        user_config_file(),
        'database_url = "sqlite:////srv/helpdesk/helpdesk.db"\n'
        '[mail]\naddresses = ["support@example.com"]\n'
        '[mail.mailboxes.support]\nhost = "imap.example.com"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        f"missing setting 'mail.mailboxes.support.user' in {path}: "
        "its [mail.mailboxes.support] table needs it"
    )


def test_a_missing_key_of_a_table_set_by_environment_names_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _write(user_config_file(), '[mail]\naddresses = ["support@example.com"]\n')
    monkeypatch.setenv("HELPDESK_MAIL__MAILBOXES__SUPPORT__HOST", "imap.example.com")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "missing setting 'mail.mailboxes.support.user' in environment variables "
        "HELPDESK_MAIL__MAILBOXES__SUPPORT__*: its [mail.mailboxes.support] table needs it"
    )


@pytest.mark.parametrize("table", ["mail.mailboxes.support", "mail.smtp"])
@pytest.mark.parametrize("port", [0, 99999])
def test_a_port_out_of_range_is_refused(table: str, port: int) -> None:
    path = _write(
        user_config_file(),
        '[mail]\naddresses = ["support@example.com"]\n'
        f'[{table}]\nhost = "mail.example.com"\nuser = "support"\nport = {port}\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"bad value for '{table}.port' in {path}: ")


def test_rules_origin_says_whose_file_and_when_one_s_own_shadows_the_site_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Routing tab read the viewing user's rules while the mail runner routes by its own
    config: the origin names whose file it is, and says in one line when this user's own
    file (beside their config, or their ``rules_file``) shadows the site's ``rules.toml``."""
    from helpdesk_tui.config import rules_origin

    site_dir, user_dir = tmp_path / "site-config", tmp_path / "config"
    site_dir.mkdir(parents=True, exist_ok=True)
    user_dir.mkdir(parents=True, exist_ok=True)
    own = user_dir / "rules.toml"
    own.write_text("", encoding="utf-8")
    origin = rules_origin(None)  # no site file: the user's own, nothing shadowed
    assert (origin.path, origin.shadow) == (own, None)
    assert origin.whose.startswith("yours")
    site = site_dir / "rules.toml"
    site.write_text("", encoding="utf-8")
    origin = rules_origin(None)  # the site's wins over one's own beside one's config
    assert (origin.path, origin.whose, origin.shadow) == (site, "the site's", None)
    (user_dir / "config.toml").write_text(f'rules_file = "{own}"\n', encoding="utf-8")
    origin = load_settings().rules_origin()  # one's own rules_file shadows the site's file
    assert origin.path == own
    assert origin.whose == f"rules_file in {user_dir / 'config.toml'}"
    assert origin.shadow is not None and str(site) in origin.shadow
    assert "\n" not in origin.shadow and "helpdesk mail run" in origin.shadow
    (user_dir / "config.toml").unlink()
    monkeypatch.setenv("HELPDESK_RULES_FILE", str(own))  # so does one's environment
    origin = load_settings().rules_origin()
    assert origin.whose == "rules_file in environment variable HELPDESK_RULES_FILE"
    assert origin.shadow is not None
    monkeypatch.delenv("HELPDESK_RULES_FILE")
    (site_dir / "config.toml").write_text(f'rules_file = "{own}"\n', encoding="utf-8")
    origin = load_settings().rules_origin()  # the site's config names it: the site's choice
    assert origin.path == own and origin.shadow is None


def test_the_readme_s_mail_settings_are_settings_mail_can_start_with() -> None:
    """Found walking a team's first week: the README's Mail section named ``[mail]`` but
    never showed it, so an admin could not tell the keys (nor that ``message_id_secret`` is
    required) without reading the code. Its example must be settings mail runs with."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    mail_section = readme.split("\n## Mail\n", 1)[1].split("\n## ", 1)[0]
    [example] = [
        block
        for block in re.findall(r"```toml\n(.*?)```", mail_section, re.S)
        if "[mail.mailboxes." in block
    ]
    data = tomllib.loads(example.replace('"…"', f'"{"s" * 64}"'))
    mail = MailSettings.model_validate(data["mail"])
    assert mail.mailboxes and mail.smtp is not None and mail.problems() == []
    assert KbSettings.model_validate(data["kb"]).public_url
