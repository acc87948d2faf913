"""day-first quantile indexes: a new ticket's report row lands at the indexes' end

Migration 0015 made six indexes for the exact minutes inside one duration bucket, minutes
first (``(resolution_mins, resolved_day)``, and per agent ``(agent_id, resolution_mins,
resolved_day)``): a new ticket's key fell at a random place among every ticket's, so a bulk
load into a big desk dirtied a page of its own in each (issue 10). The bucket's minutes are
now read by a seek per day of the report through four ``(day, minutes[, agent])`` indexes,
everyone's and the agents' together (the two per-agent indexes go). About 6 s on the 1M
demo desk.

Revision ID: 0025
Revises: 0024, 0012, 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | tuple[str, ...] | None = ("0024", "0012", "0015")
"""After 0012 and 0015 (branches of 0009), which make the indexes replaced here."""
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MINUTES_FIRST = {
    "resolution_q": ["resolution_mins", "resolved_day"],
    "resolution_qa": ["agent_id", "resolution_mins", "resolved_day"],
    "response_q": ["response_mins", "response_day"],
    "response_qa": ["responder_id", "response_mins", "response_day"],
    "resolution_bq": ["resolution_bmins", "resolved_day"],
    "response_bq": ["response_bmins", "response_day"],
}
_DAY_FIRST = {
    "resolution_q": ["resolved_day", "resolution_mins", "agent_id"],
    "response_q": ["response_day", "response_mins", "responder_id"],
    "resolution_bq": ["resolved_day", "resolution_bmins"],
    "response_bq": ["response_day", "response_bmins"],
}


def _replace(drop: dict[str, list[str]], create: dict[str, list[str]]) -> None:
    for name in drop:
        op.drop_index(f"ix_report_ticket_{name}", table_name="report_ticket")
    for name, columns in create.items():
        op.create_index(f"ix_report_ticket_{name}", "report_ticket", columns)


def upgrade() -> None:
    _replace(_MINUTES_FIRST, _DAY_FIRST)


def downgrade() -> None:
    _replace(_DAY_FIRST, _MINUTES_FIRST)
