"""The one exception tree of supportdesk; each error carries the exit code the CLI uses."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in the README, relied on by scripts."""

    OK = 0
    REFUSED = 1  # the desk understood and said no (state, policy, permission)
    INVALID = 2  # usage or validation: bad option, bad date, bad policy file
    NOT_FOUND = 3  # no such ticket, customer, agent or desk
    UNAVAILABLE = 4  # the desk file is locked, unreadable or from a newer supportdesk
    SKIPPED = 5  # a bulk operation left some of the tickets it was given as they were
    INTERNAL = 70  # a bug in supportdesk (EX_SOFTWARE): reported in one line, never a traceback
    INTERRUPTED = 130  # Ctrl-C


class SupportdeskError(Exception):
    """Anything a user can cause; rendered as one `error:` line, never a traceback."""

    exit_code: ExitCode = ExitCode.REFUSED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Refused(SupportdeskError):
    """The action is understood but not allowed now (state machine, policy, access)."""

    exit_code = ExitCode.REFUSED


class InvalidInput(SupportdeskError):
    """A value given by the user cannot be used; the message says what would work."""

    exit_code = ExitCode.INVALID


class NotFound(SupportdeskError):
    """The thing named does not exist in this desk."""

    exit_code = ExitCode.NOT_FOUND


class DeskUnavailable(SupportdeskError):
    """The desk file cannot be used right now or by this version."""

    exit_code = ExitCode.UNAVAILABLE
