"""``helpdesk contact show | export | forget | forgotten`` and ``ticket list --requester``,
in-process on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from helpdesk_tui.desk.actors import os_login
from tests.cli.conftest import Invoke, one_error_line

ANN = "ann@example.com"


def _new(invoke: Invoke, sender: str, subject: str, *extra: str) -> int:
    result = invoke(
        "ticket", "new", "--subject", subject, "--from", sender, "--body", "It smokes.",
        "--json", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    return int(json.loads(result.stdout)["number"])


def _listed(invoke: Invoke, address: str) -> list[int]:
    result = invoke("ticket", "list", "--requester", address, "--ids")
    assert result.exit_code == 0, result.stderr
    return [int(n) for n in result.stdout.split()]


def test_show_export_forget_and_the_record(invoke: Invoke, use_db: str) -> None:
    mine = _new(invoke, ANN, "Printer on fire", "--name", "Ann Example")
    theirs = _new(invoke, "bob@example.com", "VPN down")
    assert _listed(invoke, "ANN@example.com") == [mine]
    assert _listed(invoke, "bob@example.com") == [theirs]

    shown = invoke("contact", "show", ANN)
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith(f"{ANN}  Ann Example\n")
    assert f"#{mine:<6} new          requester Printer on fire" in shown.stdout
    assert shown.stdout.endswith("not looked for: --copies reads the desk\n") and not shown.stderr
    card = json.loads(invoke("contact", "show", ANN, "--json").stdout)
    assert [t["number"] for t in card["tickets"]] == [mine] and not card["copies_read"]
    copied = invoke("ticket", "reply", str(theirs), "--body", "On it.", "--cc", ANN)
    assert copied.exit_code == 0, copied.stderr
    every = invoke("contact", "show", ANN, "--copies")
    assert f"#{theirs:<6} open         copy      VPN down" in every.stdout
    assert every.stderr.startswith("reading the whole desk (every message, mail and ticket)")
    exported = invoke("contact", "export", ANN)
    assert json.loads(exported.stdout)["tickets"][0]["messages"][0]["body"] == "It smokes."
    assert exported.stderr == (
        "reading the whole desk (every message, mail and ticket): a while on a big desk\n"
    )

    refused = invoke("contact", "forget", ANN, input="y\n")  # no terminal: not asked
    assert refused.exit_code == 1 and "pass --yes" in refused.stderr
    assert _listed(invoke, ANN) == [mine]
    done = invoke("contact", "forget", ANN, "--yes")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == f"forgotten: 1 ticket(s) deleted (#{mine}); taken out of #{theirs}\n"

    assert _listed(invoke, ANN) == [] and _listed(invoke, "bob@example.com") == [theirs]
    gone = invoke("contact", "show", ANN)
    assert gone.exit_code == 1
    assert one_error_line(gone.stderr) == (
        f"error: the desk keeps nothing about {ANN}"
        " (other tickets' messages not read: a whole-desk read); --copies reads them"
    )
    record = invoke("contact", "forgotten")
    assert f"contact forgotten 1 ticket deleted (#{mine})" in record.stdout
    assert "Ann" not in record.stdout and ANN not in record.stdout


def test_only_admins_export_and_forget_agents_read(invoke: Invoke, use_db: str) -> None:
    number = _new(invoke, ANN, "Printer on fire")
    assert invoke("agent", "add", "ada", "--role", "admin").exit_code == 0
    assert invoke("agent", "set-role", os_login(), "agent").exit_code == 0
    for verb, doing in (("forget", "forget a contact"), ("export", "export a contact's data")):
        result = invoke("contact", verb, ANN, *(("--yes",) if verb == "forget" else ()))
        assert result.exit_code == 1
        assert one_error_line(result.stderr).startswith(f"error: only an admin may {doing}")
    assert invoke("contact", "show", ANN).exit_code == 0
    assert _listed(invoke, ANN) == [number]


def test_a_bad_address_is_one_line(invoke: Invoke, use_db: str) -> None:
    for args in (
        ("contact", "show", "ann@example.com\x1b[2J"),
        ("ticket", "list", "--requester", "a, b"),
    ):
        result = invoke(*args)
        assert result.exit_code == 1
        line = one_error_line(result.stderr)
        assert line.startswith("error: not an email address") and "\x1b" not in line
