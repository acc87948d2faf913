"""Migrations keep data and match the models, on both engines.

Written against whatever migrations exist: rows go into every table the FIRST revision
created (by reflection, with values made from each column's type), then the database is
upgraded to all heads and every row must still be there, readable through today's models.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import re
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Computed, Connection, Index, MetaData, Table, insert, select, text
from sqlmodel import SQLModel, col

import helpdesk_tui.storage
from helpdesk_tui.desk.actors import MAIL, Actor
from helpdesk_tui.desk.mailstate import key_hash
from helpdesk_tui.desk.tickets import create_ticket
from helpdesk_tui.mail.ingest import ingest
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.core_tables import Ticket
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import BouncedAddress, ProcessedMail
from tests.mail.mailbuild import config_for, email, mail_settings

# SQLAlchemy does not reflect SQLite's expression indexes (0040's on held mail's senders) and
# says so; they are not in the models either (``_managed_outside_the_models``).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index"
)

FIRST_REVISION = "0001"
ROWS_PER_TABLE = 2
FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")
SEARCH_COLUMNS = {("kb_article", "search_all"), ("kb_article", "search_head")}


def _import_all_models() -> None:
    """Every storage module, so ``SQLModel.metadata`` holds every table, whoever added it."""
    for module in pkgutil.iter_modules(helpdesk_tui.storage.__path__):
        if module.name != "migrations":
            importlib.import_module(f"helpdesk_tui.storage.{module.name}")


def _reflect(conn: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(conn)
    metadata.remove(metadata.tables["alembic_version"])
    for name in _sqlite_virtual_tables(conn):
        for table in [name, *(f"{name}_{s}" for s in FTS5_SHADOWS)]:
            if table in metadata.tables:
                metadata.remove(metadata.tables[table])
    return metadata


def _sqlite_virtual_tables(conn: Connection) -> list[str]:
    if conn.dialect.name != "sqlite":
        return []
    return list(
        conn.execute(
            text("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")
        ).scalars()
    )


def _python_type(column: Column[Any]) -> type:
    try:
        return column.type.python_type
    except NotImplementedError:
        return str


def _value(conn: Connection, column: Column[Any], row: int) -> Any:
    """A value of the column's type; unique per row and table, as unique columns need."""
    kind = _python_type(column)
    if kind is bool:
        return row % 2 == 0
    if kind is int:
        return 7_000 + row
    if kind is datetime:
        moment = datetime(2024, 1, 2 + row, 12, 30, 15, 123_456, tzinfo=UTC)
        return moment.replace(tzinfo=None) if conn.dialect.name == "sqlite" else moment
    if kind is bytes:
        return b"\x00raw\xff" + bytes([row])
    length = getattr(column.type, "length", None) or 200
    return f"{column.table.name}.{column.name}.{row}"[:length]


def _fill(conn: Connection, metadata: MetaData) -> None:
    """Two rows in every table, parents first; foreign keys point at real parent rows."""
    keys: dict[str, list[Any]] = {}
    for table in metadata.sorted_tables:
        keys[table.name] = []
        auto_key = _auto_key(table)
        for row in range(ROWS_PER_TABLE):
            values: dict[str, Any] = {}
            for column in table.columns:
                if column is auto_key:
                    continue
                parents = [fk.column.table.name for fk in column.foreign_keys]
                if parents and parents[0] == table.name:
                    # Self-reference: the second row points at the first.
                    values[column.name] = keys[table.name][0] if row else None
                elif parents:
                    values[column.name] = keys[parents[0]][row]
                else:
                    values[column.name] = _value(conn, column, row)
            statement = insert(table).values(values)
            if auto_key is not None:
                keys[table.name].append(conn.execute(statement.returning(auto_key)).scalar_one())
            else:
                conn.execute(statement)
                keys[table.name].append(None)


def _auto_key(table: Table) -> Column[Any] | None:
    """The database-generated integer key, if the table has one (never written by hand)."""
    primary = list(table.primary_key.columns)
    if len(primary) == 1 and _python_type(primary[0]) is int and not primary[0].foreign_keys:
        return primary[0]
    return None


def _snapshot(conn: Connection, columns: dict[str, list[str]]) -> dict[str, list[Any]]:
    current = _reflect(conn)
    snapshot = {}
    for name, names in columns.items():
        table = current.tables[name]
        selected = [table.c[n] for n in names]
        snapshot[name] = sorted(conn.execute(select(*selected)).all(), key=repr)
    return snapshot


def test_first_revision_rows_survive_every_later_migration(db_url: str) -> None:
    db = Database(db_url)
    migrate.upgrade(db, FIRST_REVISION)
    with db.engine.begin() as conn:
        first = _reflect(conn)
        assert first.tables, "the first revision made no tables"
        _fill(conn, first)
        columns = {t.name: [c.name for c in t.columns] for t in first.sorted_tables}
        before = _snapshot(conn, columns)
    assert all(len(rows) >= ROWS_PER_TABLE for rows in before.values())

    migrate.upgrade(db)
    assert migrate.schema_state(db).is_latest
    with db.engine.connect() as conn:
        after = _snapshot(conn, columns)
        _import_all_models()
        for table in SQLModel.metadata.sorted_tables:
            if table.name in columns:
                # Today's models read the old rows: new columns got usable values.
                assert len(conn.execute(select(table)).all()) == len(before[table.name])
    assert after == before

    with db.write() as session:
        ticket = create_ticket(session, MAIL, subject="After the upgrade", body="x")
    assert ticket.number == 1
    db.dispose()


def _managed_outside_the_models(virtual_tables: set[str]) -> Callable[..., bool]:
    """An ``include_object`` hook skipping what the search migration makes on purpose.

    SQLite FTS5 virtual tables (with their shadow tables), PostgreSQL expression indexes
    (``to_tsvector(...)``) and PostgreSQL's generated tsvector columns of the KB search
    (migration 0018, with their indexes; the models hold no PostgreSQL-only column) cannot be
    declared in SQLModel for both engines; they live only in the migrations and the search
    tests prove they work. Everything else — every column, type, nullability, default,
    index, unique and foreign key — is compared.
    """
    skipped = virtual_tables | {f"{v}_{s}" for v in virtual_tables for s in FTS5_SHADOWS}

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and reflected and compare_to is None:
            return name not in skipped
        if type_ == "column" and reflected and compare_to is None:
            return (obj.table.name, name) not in SEARCH_COLUMNS
        if type_ == "index" and reflected and compare_to is None and isinstance(obj, Index):
            columns = [e for e in obj.expressions if isinstance(e, Column)]
            searched = any((obj.table.name, c.name) in SEARCH_COLUMNS for c in columns)
            return len(columns) == len(obj.expressions) and not searched
        return True

    return include


def _generated_columns() -> dict[tuple[str, str], str]:
    """Every generated column of the models: (table, column) → its expression."""
    return {
        (table.name, column.name): str(column.server_default.sqltext)
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if isinstance(column.server_default, Computed)
    }


def _sqlite_generated_expression(conn: Connection, table: str, column: str) -> str:
    """A generated column's expression as SQLite holds it, read up to its own closing
    parenthesis. SQLAlchemy's reflection reads to the last parenthesis of the line instead
    (``ticket.sla_due_at``'s came out as "… END) VIRTUAL, reply_to VARCHAR(320"), because
    ALTER TABLE writes the columns it adds on one line; alembic then only warns that it
    cannot compare the two."""
    sql = conn.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    found = re.search(rf"\b{column}\b[^,]*?\bAS\s*\(", sql, re.IGNORECASE)
    assert found is not None, f"{table}.{column} is not a generated column in the desk"
    depth, start = 1, found.end()
    for end in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            return sql[start:end]
    raise AssertionError(f"{table}.{column}'s expression has no closing parenthesis")


def _spaced(sql: str) -> str:
    return " ".join(sql.split())


def test_models_and_migrations_do_not_drift(db: Database) -> None:
    """Every difference alembic finds fails, and so does every warning it gives instead of
    comparing: a generated column's expression is checked on its own on SQLite, where
    SQLAlchemy's reflection misreads it, and compared by alembic on PostgreSQL."""
    _import_all_models()
    generated = _generated_columns()
    assert generated, "the models hold no generated column: this test's SQLite check is moot"
    with db.engine.connect() as conn, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        virtual = set(_sqlite_virtual_tables(conn))
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": _managed_outside_the_models(virtual),
            },
        )
        differences = compare_metadata(context, SQLModel.metadata)
        held = {
            key: _sqlite_generated_expression(conn, *key)
            for key in generated
            if conn.dialect.name == "sqlite"
        }
    assert differences == []
    assert {key: _spaced(sql) for key, sql in held.items()} == {
        key: _spaced(sql) for key, sql in generated.items() if key in held
    }
    misread = {f"Computed default on {table}.{column} cannot be modified" for table, column in held}
    unexpected = [str(w.message) for w in caught if str(w.message) not in misread]
    assert [m for m in unexpected if "expression-based index" not in m] == []


def test_revision_graph_read_from_the_files_is_alembics() -> None:
    """The start-up reads the graph without Alembic; it must be the one Alembic runs."""
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    scripts = ScriptDirectory.from_config(config)
    expected = {
        script.revision: frozenset(script._versioned_down_revisions)
        for script in scripts.walk_revisions()
    }
    assert migrate.revision_graph() == expected
    built_on = frozenset().union(*expected.values())
    assert {r for r in expected if r not in built_on} == set(scripts.get_heads())


def test_mail_seen_before_0007_surveys_given_up_before_0029_bounces_before_0030(
    db_url: str,
) -> None:
    """Three facts on one desk: rows written at 0002, more at 0008, more at 0029 (each was
    a test of its own, migrating an empty desk to there and on to the heads: the same
    migrations three times; the rows of one are not rows another's migration reads).

    Mail processed before 0007, rows keyed by Message-ID alone, get their Message-ID key;
    reading the mail again changes nothing (a copy cannot be told from a reuse without the
    old content hash).

    A survey the desk gave up on purpose was ``failed`` ("survey not sent: …"), counted
    and re-sendable as undelivered mail; other failed mail stays failed.

    0030 keeps each address's last hard bounce; it starts from the outgoing mail already
    marked bounced to one address (not a ``4.x.x`` delay, not a list of recipients)."""
    db = Database(db_url)
    migrate.upgrade(db, "0002")
    message_id = "<old-1@example.org>"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO mail_processed (key_hash, dedupe_key, outcome, created_at)"
                " VALUES (:digest, :key, 'ticket', :now)"
            ),
            {"digest": key_hash(message_id), "key": message_id, "now": datetime.now(UTC)},
        )
    migrate.upgrade(db, "0008")
    rows = [
        ("survey", "failed", "survey not sent: mail to ann@example.org bounced (5.1.1)"),
        ("survey", "failed", "550 5.1.1 user unknown"),
        ("reply", "failed", "survey not sent: a reply that says so"),
    ]
    with db.engine.begin() as conn:
        for kind, status, error in rows:
            conn.execute(
                text(
                    "INSERT INTO outbox (kind, to_addresses, subject, body, status, attempts,"
                    " next_attempt_at, last_error, created_at)"
                    " VALUES (:kind, 'ann@example.org', 's', 'b', :status, 0, :now, :error, :now)"
                ),
                {"kind": kind, "status": status, "error": error, "now": datetime.now(UTC)},
            )
    migrate.upgrade(db, "0029")
    earlier = datetime(2026, 11, 1, 9, tzinfo=UTC)
    later = datetime(2026, 11, 20, 9, tzinfo=UTC)
    bounced = [
        ("Ann@Example.org", "5.1.1", earlier),
        ("ann@example.org", "5.2.1", later),
        ("bob@example.org", "4.2.2", later),
        ("cy@example.org, dee@example.org", "5.1.1", later),
        ("eve@example.org", None, earlier),
    ]
    with db.engine.begin() as conn:
        for to, dsn, when in bounced:
            conn.execute(
                text(
                    "INSERT INTO outbox (kind, to_addresses, subject, body, status, attempts,"
                    " next_attempt_at, dsn_status, bounced_at, created_at)"
                    " VALUES ('reply', :to, 's', 'b', 'bounced', 1, :when, :dsn, :when, :when)"
                ),
                {"to": to, "dsn": dsn, "when": when},
            )
    migrate.upgrade(db)

    with db.engine.connect() as conn:
        found = conn.execute(
            text("SELECT kind, status, last_error FROM outbox ORDER BY id LIMIT :n"),
            {"n": len(rows)},
        )
        assert [tuple(row) for row in found] == [
            ("survey", "withdrawn", "mail to ann@example.org bounced (5.1.1)"),
            ("survey", "failed", "550 5.1.1 user unknown"),
            ("reply", "failed", "survey not sent: a reply that says so"),
        ]
    with db.read() as session:
        kept = session.scalars(select(BouncedAddress).order_by(text("address"))).all()
        assert [(b.address, b.dsn_status, b.bounced_at) for b in kept] == [
            ("ann@example.org", "5.2.1", later),
            ("eve@example.org", None, earlier),
        ]
    with db.write() as session:
        result = ingest(session, email(message_id=message_id), config_for(mail_settings()))
        [row] = session.scalars(select(ProcessedMail)).all()
    assert result.duplicate
    assert (row.message_key, row.content_hash) == (key_hash(message_id), None)
    db.dispose()


def test_messages_processed_or_quarantined_before_0031_are_found_re_encoded(
    db_url: str,
) -> None:
    """Two facts on one desk made at 0030 and 0007 (each was a test of its own, migrating
    an empty desk to there and on to the heads: the same migrations twice).

    0031 keeps, for each message processed without a Message-ID, the hash of its raw
    bytes as any server keeps them: read again after a server re-encoded it, it is the
    message taken before (a ticket), not a second one. One with a Message-ID gets none.

    A message that could not be parsed was quarantined by a version that did not read
    its Message-ID (no ``message_key``, its content hash that of its bytes): read again
    after the upgrade as a server re-encoded it, it was quarantined a second time. 0032
    gives such rows the key of the Message-ID in their raw header; the copy is a duplicate
    of the entry, another message under that Message-ID is still its own."""
    from helpdesk_tui.desk.intake import ingest_batch
    from helpdesk_tui.desk.mailstate import normal_hash
    from helpdesk_tui.mail.ingest import read_message
    from helpdesk_tui.storage.mail_models import QuarantinedMail
    from tests.mail.test_corpus_ingest import _reencoded
    from tests.mail.test_quarantine_copies import _unparseable

    db = Database(db_url)
    migrate.upgrade(db, "0030")
    migrate.upgrade(db, "0007")
    when = datetime(2026, 11, 1, 9, tzinfo=UTC)
    without = email(message_id=None, subject="No Message-ID, a subject long enough to fold")
    with_id = email(subject="With one")
    message_id = "<dolls-1@example.org>"
    raw = _unparseable(message_id)
    old = _unparseable("<dolls-2@example.org>")
    with db.engine.begin() as conn:
        ids = []
        for n, (content, message_key) in enumerate(((without, None), (with_id, "k" * 64)), 1):
            raw_id = conn.execute(
                text(
                    "INSERT INTO raw_message (sha256, received_at, content)"
                    " VALUES (:sha, :when, :raw) RETURNING id"
                ),
                {"sha": str(n) * 64, "when": when, "raw": content},
            ).scalar_one()
            ids.append(raw_id)
            conn.execute(
                text(
                    "INSERT INTO mail_processed (key_hash, dedupe_key, message_key, outcome,"
                    " raw_message_id, created_at) VALUES (:k, :d, :m, 'ticket', :n, :when)"
                ),
                {"k": f"older-{n}", "d": f"older-{n}", "m": message_key, "n": raw_id, "when": when},
            )
        for content, content_hash in ((raw, "sha"), (old, None)):
            sha = hashlib.sha256(content).hexdigest()
            raw_id = conn.execute(
                text(
                    "INSERT INTO raw_message (sha256, received_at, content)"
                    " VALUES (:sha, :when, :raw) RETURNING id"
                ),
                {"sha": sha, "when": when, "raw": content},
            ).scalar_one()
            # As 0030's intake wrote it (and before 0007, without a content hash).
            conn.execute(
                text(
                    "INSERT INTO mail_processed (key_hash, dedupe_key, content_hash, outcome,"
                    " raw_message_id, created_at) VALUES (:k, :d, :c, 'quarantine', :n, :when)"
                ),
                {
                    "k": key_hash(f"sha256:{sha}"),
                    "d": f"sha256:{sha}",
                    "c": sha if content_hash else None,
                    "n": raw_id,
                    "when": when,
                },
            )
            conn.execute(
                text(
                    "INSERT INTO mail_quarantine (raw_message_id, reason, attempts, created_at,"
                    " updated_at) VALUES (:n, 'cannot be parsed: nested too deep', 0, :w, :w)"
                ),
                {"n": raw_id, "w": when},
            )
    migrate.upgrade(db)

    with db.read() as session:
        found = session.exec(
            select(ProcessedMail.raw_message_id, ProcessedMail.normal_hash).where(
                col(ProcessedMail.raw_message_id).in_(ids)
            )
        )
        assert sorted(found.all()) == [(ids[0], normal_hash(without)), (ids[1], None)]
        reencoded = without.replace(b"\r\n", b"\n").replace(b"long enough", b"long\n enough")
        assert normal_hash(reencoded) == normal_hash(without)
    with db.write() as session:
        again = ingest(session, reencoded, config_for(mail_settings()))
    assert again.duplicate and again.outcome == "ticket"

    config = config_for(mail_settings())
    copies = [
        _reencoded(raw),
        _reencoded(old),
        _unparseable(message_id, body="another core"),
        _unparseable("<dolls-2@example.org>", body="a third core"),
    ]
    with db.write() as session:
        items = [read_message(copy, None, config) for copy in copies]
        results = ingest_batch(session, items, config.desk)
    assert [(r.outcome, r.duplicate) for r in results] == [
        ("quarantine", True),
        ("quarantine", True),
        ("quarantine", False),
        ("quarantine", False),
    ]
    with db.read() as session:
        assert len(session.exec(select(QuarantinedMail)).all()) == 4
    db.dispose()


def test_0031_hashes_as_the_desk_does() -> None:
    """The migration keeps its own copy of ``desk/mailstate.normal_hash`` (storage imports
    nothing of the desk): the two agree, on every corpus message and re-encoded ones."""
    from helpdesk_tui.desk.mailstate import normal_hash

    frozen = importlib.import_module(
        "helpdesk_tui.storage.migrations.versions.0031_processed_normal_hash"
    ).normal_hash
    from tests.mail.conftest import MAIL_CORPUS

    raws = [p.read_bytes() for p in sorted(MAIL_CORPUS.rglob("*")) if p.is_file()]
    raws += [b"", b"a\r\rb\r\n\r\n\r\n", b"X: a\r\n\tb  \r\n\r\nbody  \r\n\r\n", b"\n\n\n"]
    assert len(raws) > 40
    for raw in raws:
        assert frozen(raw) == normal_hash(raw)


def test_0032_reads_the_message_id_as_the_mail_layer_does() -> None:
    """0032 keeps its own copies of ``mail/parse.header_message_id`` and
    ``desk/mailstate.key_hash`` (storage imports neither): they agree, on every corpus
    message and on hostile headers."""
    from helpdesk_tui.mail.parse import header_message_id
    from tests.mail.conftest import MAIL_CORPUS

    frozen = importlib.import_module(
        "helpdesk_tui.storage.migrations.versions.0032_quarantined_message_key"
    )
    raws = [p.read_bytes() for p in sorted(MAIL_CORPUS.rglob("*")) if p.is_file()]
    raws += [
        b"Message-ID:\r\n <folded@example.org>\r\n\r\n",
        b"Subject: x\r\n Message-ID: <no@example.org>\r\n\r\n",
        b"message-id: a.b@example.org, c@d\n\n",
        b"Message-ID: <\xc3\xa9t\xc3\xa9@example.org>\r\n\r\n",
        b"Message-ID: <a\x85b@example.org> <c@d>\r\n\r\n",
        b"\xff\xfe\x00Message-ID: <x@y>\r\n\r\n",
        b"X: " + b"a" * 300_000 + b"\r\nMessage-ID: <late@example.org>\r\n\r\n",
    ]
    found = [header_message_id(raw) for raw in raws]
    assert sum(1 for f in found if f) >= 20
    for raw, expected in zip(raws, found, strict=True):
        assert frozen.header_message_id(raw) == expected
        if expected is not None:
            assert frozen.key_hash(expected) == key_hash(expected)


def test_0033_fills_each_open_ticket_s_next_alert_no_later_than_it_comes(
    db: Database, admin: Actor
) -> None:
    """An upgraded desk's tickets get a next alert time never later than the one its clocks
    and alerts given say (the SLA pass then looks at the ticket once and stores the exact
    one): nothing owed is missed, nothing given is given again."""
    from alembic import command

    from helpdesk_tui.desk import fields, sla_alerts

    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # a Friday; business hours 09-17 UTC

    def new(at: datetime, priority: str) -> int:
        with time_machine.travel(at, tick=False), db.write() as session:
            return create_ticket(
                session, admin, subject="VPN", body="x", requester_email="kim@example.com",
                priority=priority,
            ).number  # fmt: skip

    alerted = new(datetime(2026, 12, 3, 11, 30, tzinfo=UTC), "urgent")  # both breached
    warned = new(datetime(2026, 12, 4, 11, 10, tzinfo=UTC), "urgent")  # response warned
    quiet = new(datetime(2026, 12, 4, 11, 55, tzinfo=UTC), "low")  # nothing yet
    done = new(datetime(2026, 12, 4, 9, 0, tzinfo=UTC), "urgent")
    with db.write() as session:
        fields.set_status(session, admin, done, "closed")
    assert {(a.number, a.level) for a in sla_alerts.check(db, now)} == {
        (alerted, "breach"), (warned, "warning")
    }  # fmt: skip

    def stored() -> dict[int, datetime | None]:
        with db.engine.connect() as conn:
            rows = conn.execute(select(Ticket.number, Ticket.sla_alert_at)).all()
            return {number: alert_at for number, alert_at in rows}

    exact = stored()
    config = migrate._config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0028")
    migrate.upgrade(db)
    filled = stored()
    assert exact[alerted] is None and filled[alerted] is None  # every alert given
    assert exact[done] is None and filled[done] is None  # no clock runs
    assert filled[warned] is not None and filled[warned] <= exact[warned]
    assert filled[quiet] is not None and filled[quiet] <= exact[quiet]
    assert sla_alerts.check(db, now) == []  # looked at again: nothing said twice
    assert stored() == exact


def test_0035_looks_again_at_a_follow_up_whose_stored_dues_predate_0016(
    db: Database, admin: Actor
) -> None:
    """A desk whose due times predate 0016 and were never recomputed stores no pending
    reply for a customer's follow-up to an answered ticket. 0033 alone trusted that: the
    ticket whose resolution was alerted got no next alert time, and its next response's
    breach was never said. 0035 has the next pass look at it once."""
    from alembic import command

    from helpdesk_tui.desk import sla_alerts, thread

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 12, day, hour, minute, tzinfo=UTC)  # Dec 3: a Thursday

    with time_machine.travel(at(3, 9), tick=False), db.write() as session:
        number = create_ticket(
            session, admin, subject="VPN", body="x", requester_email="kim@example.com",
            priority="urgent",
        ).number  # fmt: skip
    with time_machine.travel(at(3, 9, 30), tick=False), db.write() as session:
        thread.reply(session, admin, number, body="On it")
    alerted = sla_alerts.check(db, at(3, 17, 30), sends_here=True)
    assert [(a.clock, a.level) for a in alerted] == [("resolution", "breach")]
    with time_machine.travel(at(4, 10), tick=False), db.write() as session:
        thread.add_customer_message(session, MAIL, number, body="Still broken")
    with db.engine.begin() as conn:  # what 0016 left on an answered ticket: no pending reply
        conn.execute(text("UPDATE ticket SET reply_due_at = NULL, reply_started_at = NULL"))
    config = migrate._config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0028")
    migrate.upgrade(db)
    owed = sla_alerts.check(db, at(4, 12, 30), sends_here=True)  # due 12:00 (2 h from 10:00)
    assert [(a.number, a.clock, a.level) for a in owed] == [(number, "next response", "breach")]
