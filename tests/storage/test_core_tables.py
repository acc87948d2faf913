"""The Core tables of the quick read paths are the SQLModel tables, copied by a generator."""

from __future__ import annotations

from sqlmodel import SQLModel

import helpdesk_tui.storage.canned_models
import helpdesk_tui.storage.kb_models
import helpdesk_tui.storage.mail_models
import helpdesk_tui.storage.models
import helpdesk_tui.storage.report_models
import helpdesk_tui.storage.sla_models
import helpdesk_tui.storage.survey_models  # noqa: F401  (they register the model tables)
from helpdesk_tui.storage import core_tables, core_tables_make


def test_the_core_tables_module_is_what_the_generator_writes_now() -> None:
    assert core_tables_make.TARGET.read_text() == core_tables_make.source(), (
        "run: python -m helpdesk_tui.storage.core_tables_make"
    )


def test_each_core_table_has_the_model_tables_columns_and_types() -> None:
    for name in core_tables_make.TABLES:
        model = SQLModel.metadata.tables[name]
        core = core_tables.metadata.tables[name]
        assert [(c.name, repr(c.type), c.nullable, c.primary_key) for c in core.columns] == [
            (c.name, repr(c.type), c.nullable, c.primary_key) for c in model.columns
        ]
