"""The queue's watcher (``screens/queue_watch``), its looks made by hand: no thread runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk_tui.screens.queue_watch import QueueWatch

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class _Probe:
    def __init__(self) -> None:
        self.moves: list[bool] = []
        self.closed = False

    def moved(self) -> bool:
        return self.moves.pop(0) if self.moves else False

    def close(self) -> None:
        self.closed = True


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _watch(clock: _Clock | None = None) -> tuple[QueueWatch, _Probe, list[int]]:
    probe, woken = _Probe(), []
    watch = QueueWatch(lambda: probe, lambda: woken.append(1), 1.0, clock or _Clock())  # type: ignore[arg-type,return-value]
    return watch, probe, woken


def test_an_armed_watch_wakes_once_per_change() -> None:
    watch, probe, woken = _watch()
    watch.arm()
    for _ in range(10):
        watch.look()
    assert woken == []  # nothing moved: the screen is not disturbed
    probe.moves = [True]
    watch.look()
    watch.look()
    assert woken == [1] and not watch.armed  # woken once; the screen arms it again


def test_a_change_seen_while_unarmed_wakes_at_the_next_armed_look() -> None:
    """(A page was being read: its mark may be older than the change.)"""
    watch, probe, woken = _watch()
    probe.moves = [True]
    watch.look()
    assert woken == []
    watch.arm()
    watch.look()
    assert woken == [1]


def test_until_wakes_at_the_first_look_past_it_and_again_once() -> None:
    """(Someone is on a ticket: their marker expires at ``until`` with no write to see.)"""
    clock = _Clock()
    watch, _probe, woken = _watch(clock)
    expires = NOW + timedelta(seconds=15)
    watch.arm(until=expires)
    for seconds in range(16):  # (a row expiring at 15 s is still live at 15 s)
        clock.now = NOW + timedelta(seconds=seconds)
        watch.look()
    assert woken == []
    clock.now = expires + timedelta(seconds=1)
    watch.look()
    watch.look()
    assert woken == [1] and not watch.armed
    watch.arm(until=expires + timedelta(seconds=10))  # (a heartbeat pushed it on)
    watch.look()
    assert woken == [1]
    watch.arm(again=True)  # (a check put off)
    watch.look()
    watch.arm()
    watch.look()
    assert woken == [1, 1]


def test_a_disarmed_watch_wakes_no_one_and_stop_closes_the_probe() -> None:
    watch, probe, woken = _watch()
    watch.arm()
    watch.disarm()
    probe.moves = [True]
    watch.look()
    assert woken == []
    watch.stop()
    assert probe.closed
