"""Whether the desk sends satisfaction surveys, read on Core tables (``desk/settings``).

The one place the switch is read: the survey's sender (``satisfaction``) asks
:func:`surveys_enabled`, and :class:`SurveyReads`, the base of the facade's
``SatisfactionService``, is alone what ``helpdesk survey status`` holds (no ORM).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from helpdesk_tui.desk.service import DeskService
from helpdesk_tui.desk.settings import switch
from helpdesk_tui.storage.core_tables import survey_opt_out

if TYPE_CHECKING:
    from helpdesk_tui.storage.database import Reader

ENABLED = "survey.enabled"
"""The desk setting that switches surveys; on until an admin says ``no``."""


def surveys_enabled(reader: Reader) -> bool:
    return switch(reader, ENABLED, default=True)


class SurveyReads(DeskService):
    def satisfaction_surveys_on(self) -> bool:
        """Whether this desk sends surveys."""
        with self._read_rows() as conn:
            return surveys_enabled(conn)

    def satisfaction_opt_out_count(self) -> int:
        """How many requesters asked never to get a survey (``survey opt-out``)."""
        with self._read_rows() as conn:
            return int(conn.execute(select(func.count()).select_from(survey_opt_out)).scalar_one())
