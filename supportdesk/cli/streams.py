"""The streams a command writes to: standard output and error made inert for people,
and a closed pipe on standard output told apart from other failures."""

from __future__ import annotations

from typing import Any


class InertStream:
    """A text stream that shows control, escape and bidi characters as visible escapes:
    everything a command prints for people passes through it (JSON and CSV, which keep
    the exact text, are written to the stream underneath with `raw_stdout()`)."""

    def __init__(self, stream: Any):
        self.raw = stream

    def write(self, text: str) -> int:
        from supportdesk.text import inert

        self.raw.write(inert(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class ReaderGone(Exception):
    """Standard output's reader went away (`| head -1`): not an OSError, so that no
    layer in between turns it into a failure."""


class OutputFailed(Exception):
    """Standard output cannot be written (a full disk, an I/O error): `strerror` says why."""

    def __init__(self, strerror: str):
        super().__init__(strerror)
        self.strerror = strerror


class PipeGuard:
    """Standard output, with a closed pipe reported as ReaderGone and any other failure
    to write as OutputFailed."""

    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise ReaderGone() from None
        except OSError as error:
            raise OutputFailed(error.strerror or str(error)) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise ReaderGone() from None
        except OSError as error:
            raise OutputFailed(error.strerror or str(error)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
