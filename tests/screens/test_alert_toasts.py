"""Several alerts of a kind at one look are one notification; a few stay one each."""

from __future__ import annotations

from helpdesk_tui.desk.sla_service import SlaAlertView
from helpdesk_tui.screens.alert_toasts import READ_AT_MOST, AlertToast, alert_toasts

BREACH, WARNING, RATING = "SLA breached", "SLA warning", "Customer rating"


def _alert(number: int, title: str) -> SlaAlertView:
    said = {BREACH: "first response breached", WARNING: "resolution nearly due"}
    text = f"#{number}: {said.get(title, 'rated 1/5, low rating — follow up')}"
    return SlaAlertView(number, number, text, title != WARNING, title, title == RATING)


def test_a_few_alerts_are_told_one_by_one() -> None:
    alerts = [_alert(7, BREACH), _alert(8, BREACH), _alert(9, WARNING)]
    assert alert_toasts(alerts) == [
        AlertToast(BREACH, "#7: first response breached", True),
        AlertToast(BREACH, "#8: first response breached", True),
        AlertToast(WARNING, "#9: resolution nearly due", False),
    ]


def test_three_or_more_of_a_kind_are_one_toast_naming_the_newest() -> None:
    overdue = SlaAlertView(
        1, 0, "2 tickets breached while SLA alerts were not running", True, BREACH
    )
    alerts = [
        _alert(10, WARNING),
        *[_alert(n, BREACH) for n in range(20, 26)],
        overdue,
        *[_alert(n, RATING) for n in (30, 31, 32)],
    ]
    assert alert_toasts(alerts) == [
        AlertToast(WARNING, "#10: resolution nearly due", False),
        AlertToast(BREACH, "6 tickets breached: #25, #24, #23, #22 and 2 more", True),
        AlertToast(BREACH, overdue.text, True),
        AlertToast(RATING, "3 ratings to follow up: #32, #31, #30", True),
    ]


def test_a_look_that_read_its_most_says_there_may_be_more() -> None:
    alerts = [_alert(n, WARNING) for n in range(100, 100 + READ_AT_MOST)]
    [toast] = alert_toasts(alerts)
    newest = 100 + READ_AT_MOST - 1
    assert toast == AlertToast(
        WARNING,
        f"{READ_AT_MOST}+ tickets nearly due: #{newest}, #{newest - 1}, #{newest - 2}, "
        f"#{newest - 3} and {READ_AT_MOST - 4}+ more",
        False,
    )
