"""A clock a test sets, and this process's local zone for one test (``TZ``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime


class SetClock:
    """The desk's clock in a test: it reads ``now`` until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def local_zone(name: str) -> Iterator[None]:
    """This process's local zone is ``name`` ("Europe/Berlin") inside the block."""
    was = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if was is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = was
        time.tzset()
