"""When the app collects: in the agent's pauses, once some garbage has piled up."""

from __future__ import annotations

import gc

import pytest

from helpdesk_tui import heap


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_collection_under_keys() -> None:
    clock = Clock()
    collector = heap.IdleCollector(clock)
    clock.now += heap.IDLE_SECONDS / 2
    assert not collector.due(heap.IDLE_COLLECT_AFTER * 5)
    clock.now += heap.IDLE_SECONDS
    collector.input_seen()
    assert not collector.due(heap.IDLE_COLLECT_AFTER * 5)


def test_a_pause_collects_once_garbage_piled_up() -> None:
    clock = Clock()
    collector = heap.IdleCollector(clock)
    clock.now += heap.IDLE_SECONDS
    assert not collector.due(heap.IDLE_COLLECT_AFTER - 1)  # nothing worth a walk yet
    assert collector.due(heap.IDLE_COLLECT_AFTER)


@pytest.mark.heap
def test_a_tick_in_a_pause_runs_a_full_collection() -> None:
    clock = Clock()
    collector = heap.IdleCollector(clock)
    clock.now += heap.IDLE_SECONDS
    full_before = gc.get_stats()[2]["collections"]
    while gc.get_count()[2] < heap.IDLE_COLLECT_AFTER:
        gc.collect(1)  # young collections, as allocations make them
    assert collector.tick()
    assert gc.get_stats()[2]["collections"] == full_before + 1
    assert not collector.tick()  # nothing piled up since
