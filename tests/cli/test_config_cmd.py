from __future__ import annotations

import json
import tomllib

import pytest

from helpdesk_tui import start_settings
from helpdesk_tui.config import MASK, site_config_file, user_config_file
from tests.cli.conftest import Invoke, on_sqlite_only, one_error_line, write_toml

SECRETS = """
[mail]
addresses = ["support@desk.example"]
message_id_secret = "hunter2-hunter2-hunter2"

[mail.smtp]
host = "smtp.example.com"
user = "desk"
password = "smtp-hunter2"
"""


def test_show_masks_every_secret(invoke: Invoke) -> None:
    write_toml(user_config_file(), SECRETS)
    result = invoke("config", "show")
    assert result.exit_code == 0, result.stderr
    assert "hunter2" not in result.stdout
    shown = tomllib.loads(result.stdout)
    assert shown["mail"]["message_id_secret"] == MASK
    assert shown["mail"]["smtp"] == {**shown["mail"]["smtp"], "password": MASK, "user": "desk"}
    data = json.loads(invoke("config", "show", "--json").stdout)
    assert data["mail"]["smtp"]["password"] == MASK
    assert "hunter2" not in json.dumps(data)


def test_show_warns_about_a_secret_in_a_readable_file(invoke: Invoke) -> None:
    path = write_toml(user_config_file(), SECRETS, mode=0o644)
    result = invoke("config", "show")
    assert result.exit_code == 0
    [warning] = result.stderr.splitlines()
    assert warning.startswith(f"warning: {path} holds mail.")
    assert "mail.message_id_secret" in warning and "mail.smtp.password" in warning
    assert warning.endswith(f"run: chmod 600 {path}")


def test_site_then_user_then_environment(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(site_config_file(), 'desk_name = "Site desk"\n[ui]\ntheme = "nord"\n', 0o644)
    write_toml(user_config_file(), 'desk_name = "My desk"\n')
    data = json.loads(invoke("config", "show", "--json").stdout)
    assert (data["desk_name"], data["ui"]["theme"]) == ("My desk", "nord")
    monkeypatch.setenv("HELPDESK_DESK_NAME", "Env desk")
    data = json.loads(invoke("config", "show", "--json").stdout)
    assert (data["desk_name"], data["ui"]["theme"]) == ("Env desk", "nord")


def test_show_says_which_desk_name_is_in_force(use_db: str, invoke: Invoke) -> None:
    """The desk's own name wins over every config's desk_name; show printed the config's
    alone ("Helpdesk" on a desk named "ACME IT") and misled the admin reading it."""

    def under_desk_name() -> list[str]:
        result = invoke("config", "show")
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        at = lines.index('desk_name = "Helpdesk"')
        assert tomllib.loads(result.stdout)["desk_name"] == "Helpdesk"
        return [line for line in lines[at + 1 :] if line.startswith("# ")][:2]

    assert under_desk_name()[0] == "# in force: this desk_name (the desk has no name of its own)"
    assert invoke("desk", "name", "ACME IT").exit_code == 0
    assert under_desk_name() == [
        '# not in force: the desk\'s own name "ACME IT" wins (helpdesk desk name);',
        "# this desk_name is only the fallback of a desk that has none",
    ]
    assert json.loads(invoke("config", "show", "--json").stdout)["desk_name"] == "Helpdesk"


def test_show_says_when_the_desks_own_name_was_not_read(invoke: Invoke) -> None:
    result = invoke("config", "show")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    note = lines[lines.index('desk_name = "Helpdesk"') + 1]
    assert note.startswith(
        "# the desk's own name, which wins over desk_name, was not read: no desk"
    )


def test_bad_value_in_a_file_exits_2_naming_key_and_file(invoke: Invoke) -> None:
    path = write_toml(user_config_file(), 'database_url = "mysql://db/desk"\n')
    for args in (("config", "show"), ("ticket", "list")):
        result = invoke(*args)
        assert result.exit_code == 2
        message = one_error_line(result.stderr)
        assert message.startswith(f"error: bad value for 'database_url' in {path}: ")
        assert "must start with sqlite:///" in message


def test_bad_value_in_the_environment_exits_2_naming_the_variable(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", "oracle://db")
    result = invoke("ticket", "list")
    assert result.exit_code == 2
    assert "'database_url' in environment variable HELPDESK_DATABASE_URL" in one_error_line(
        result.stderr
    )


@on_sqlite_only
def test_a_setting_broken_after_a_quick_start_is_still_one_line(
    use_db: str, invoke: Invoke
) -> None:
    """A verb uses the settings kept from their last validation (``start_settings``) only
    while nothing they are made of changed: a bad edit is refused as before."""
    assert invoke("ticket", "list").exit_code == 0
    assert start_settings.recall() is not None
    path = write_toml(user_config_file(), 'colour = "red"\n')
    result = invoke("ticket", "list")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"error: unknown setting 'colour' in {path}"
