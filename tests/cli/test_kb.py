"""``helpdesk kb``: the verbs, roles, JSON, and files that survive a round trip unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.conftest import Invoke, as_login
from tests.desk.kb_fixture import ARTICLES

WIFI_BODY = "## Guest Wi-Fi\n\nAsk **reception** for a voucher.\n"


def _new(invoke: Invoke, title: str, body: str, *extra: str) -> dict:  # type: ignore[type-arg]
    result = invoke("kb", "new", "--title", title, "--body", body, "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_new_edit_publish_search_show(use_db: str, invoke: Invoke) -> None:
    made = _new(invoke, "Guest Wi-Fi", WIFI_BODY, "--category", "Network", "--tag", "wifi")
    assert (made["status"], made["visibility"], made["tags"]) == ("draft", "internal", ["wifi"])
    edited = invoke(
        "kb", "edit", made["slug"], "--visibility", "public", "--tag", "wifi", "--tag", "guest"
    )
    assert edited.exit_code == 0, edited.stderr
    assert invoke("kb", "publish", made["slug"]).exit_code == 0
    found = json.loads(invoke("kb", "search", "wireless", "guest", "--json").stdout)
    assert [f["slug"] for f in found] == ["guest-wi-fi"]
    assert found[0]["status"] == "published"
    shown = invoke("kb", "show", "guest-wi-fi")
    assert shown.stdout.startswith("---\ntitle: Guest Wi-Fi\n")
    assert shown.stdout.endswith("---\n\n" + WIFI_BODY)
    versions = json.loads(invoke("kb", "show", "guest-wi-fi", "--versions", "--json").stdout)
    assert [v["version"] for v in versions] == [1, 2, 3]
    diff = invoke("kb", "show", "guest-wi-fi", "--diff", "1:2").stdout
    assert "-visibility: internal\n" in diff and "+visibility: public\n" in diff
    history = invoke("kb", "show", "guest-wi-fi", "--history").stdout
    assert "published status: draft → published" in history


def test_agents_write_but_do_not_publish(use_db: str, invoke: Invoke) -> None:
    assert invoke("agent", "add", "bob", "--name", "Bob").exit_code == 0
    bob = as_login("bob")
    made = _new(bob, "Printer jam", "Open tray 2.")
    refused = bob("kb", "publish", made["slug"])
    assert refused.exit_code == 1
    assert "only a supervisor may publish an article" in refused.stderr
    assert bob("kb", "import", "/nonexistent").exit_code != 0


def test_export_import_export_gives_identical_files(
    use_db: str, invoke: Invoke, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "source"
    source.mkdir()
    for article in ARTICLES[:40]:
        tags = "".join(f"\n  - {t}" for t in article.tags)
        (source / f"{article.slug}.md").write_text(
            f"---\ntitle: '{article.title}'\ncategory: {article.category}\ntags:{tags}\n"
            f"status: published\nvisibility: public\nauthor: ada\n"
            f"created: '2026-03-02T09:00:00.123456+00:00'\n---\n\n{article.body}\n",
            encoding="utf-8",
        )
    assert invoke("kb", "import", str(source)).exit_code == 0
    first = tmp_path / "first"
    assert invoke("kb", "export", str(first)).exit_code == 0

    monkeypatch.setenv(
        "HELPDESK_DATABASE_URL",
        os.environ["HELPDESK_DATABASE_URL"] + "_2"
        if "postgresql" in os.environ["HELPDESK_DATABASE_URL"]
        else f"sqlite:///{tmp_path / 'second.db'}",
    )
    if "postgresql" in os.environ["HELPDESK_DATABASE_URL"]:
        _create_pg_database(os.environ["HELPDESK_DATABASE_URL"])
    assert invoke("init").exit_code == 0
    assert json.loads(invoke("kb", "search", "outlook", "--json").stdout) == []
    assert invoke("kb", "import", str(first)).exit_code == 0
    second = tmp_path / "second"
    assert invoke("kb", "export", str(second)).exit_code == 0

    names = sorted(p.name for p in first.iterdir())
    assert len(names) == 40
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    again = invoke("kb", "import", str(second), "--json")
    assert json.loads(again.stdout) == {"added": 0, "updated": 0, "files": 40}


def _create_pg_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def test_html_export_holds_public_articles_only(
    use_db: str, invoke: Invoke, tmp_path: Path
) -> None:
    public = _new(
        invoke, "Guest Wi-Fi", WIFI_BODY, "--visibility", "public", "--category", "Network"
    )
    _new(invoke, "Internal escalation list", "Call Bob.", "--visibility", "internal")
    draft = _new(invoke, "Draft only", "Not yet.", "--visibility", "public")
    assert invoke("kb", "publish", public["slug"]).exit_code == 0
    site = tmp_path / "site"
    result = invoke("kb", "export", "--html", str(site), "--json")
    assert json.loads(result.stdout)["articles"] == 1
    assert (site / "article" / "guest-wi-fi.html").is_file()
    assert not (site / "article" / f"{draft['slug']}.html").exists()
    index = (site / "index.html").read_text()
    assert "Guest Wi-Fi" in index and "escalation" not in index
    assert "escalation" not in (site / "assets" / "search-index.js").read_text()


def test_new_from_a_resolved_ticket(use_db: str, invoke: Invoke) -> None:
    made = invoke(
        "ticket",
        "new",
        "--subject",
        "Printer jams",
        "--body",
        "Tray 2",
        "--from",
        "ann@example.org",
        "--json",
    )
    assert made.exit_code == 0, made.stderr
    number = str(json.loads(made.stdout)["number"])
    early = invoke("kb", "new", "--from-ticket", number)
    assert early.exit_code == 1 and "only a resolved ticket" in early.stderr
    assert invoke("ticket", "reply", number, "--body", "Fan the paper first.").exit_code == 0
    assert invoke("ticket", "status", number, "resolved").exit_code == 0
    result = invoke("kb", "new", "--from-ticket", number, "--json")
    assert result.exit_code == 0, result.stderr
    article = json.loads(result.stdout)
    assert (article["title"], article["body"], article["status"]) == (
        "Printer jams",
        "Fan the paper first.\n",
        "draft",
    )


def test_a_search_without_hits_says_what_to_do(invoke: Invoke, use_db: str) -> None:
    """On an empty knowledge base: how to fill it; on one with articles: try other words."""
    empty = invoke("kb", "search", "vpn")
    assert empty.exit_code == 0 and empty.stdout == ""
    assert empty.stderr == (
        "no articles yet; write one with helpdesk kb new --title TITLE, or read Markdown "
        "files with helpdesk kb import DIR\n"
    )
    assert invoke("kb", "new", "--title", "Guest Wi-Fi", "--body", "Ask reception.").exit_code == 0
    missed = invoke("kb", "search", "zzqx")
    assert missed.stdout == ""
    assert missed.stderr.startswith("no article found; try other or fewer words")
