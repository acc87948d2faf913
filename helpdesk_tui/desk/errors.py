"""What the desk refuses, as exceptions whose message is one clear line for a person."""

from __future__ import annotations

from typing import ClassVar


class DeskError(Exception):
    """Base of every refusal; ``str(error)`` is what the agent reads."""

    transient: ClassVar[bool] = False
    """The same request may work later unchanged (the database did not answer, not a refusal
    of what was asked): a screen that reads by itself asks again."""


class NotFound(DeskError):
    pass


class UnknownAgent(DeskError):
    pass


class PermissionDenied(DeskError):
    pass


class InvalidValue(DeskError):
    pass


class InvalidTransition(DeskError):
    pass


class Conflict(DeskError):
    """A change was made against a version of the ticket that someone else has since changed.

    ``changes`` lists what happened in between, so a screen can say who changed what.
    """

    def __init__(self, message: str, *, number: int, current_version: int, changes: list[str]):
        super().__init__(message)
        self.number = number
        self.current_version = current_version
        self.changes = changes


class ChangedMeanwhile(DeskError):
    """A desk setting (an SLA policy, a calendar, a team's tier, the escalation switch) was
    changed by someone else since the form that edits it read it: nothing was written."""


class NoAddress(DeskError):
    """A reply has nowhere to go: the requester has no email address and none was given.

    Nothing is saved; ``number`` lets a front door ask for an address and try again.
    """

    def __init__(self, message: str, *, number: int) -> None:
        super().__init__(message)
        self.number = number


class NeedsConfirmation(DeskError):
    """A change a person must confirm first (merging different requesters' tickets).

    Nothing is saved; the front door asks, then repeats the change saying it was confirmed.
    """


class DeskLoading(DeskError):
    """The terminal UI is still opening the desk (it shows the page last seen meanwhile)."""
