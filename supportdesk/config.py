"""Where the desk lives: `--db`, then `SUPPORTDESK_DB`, then the user data directory."""

from __future__ import annotations

import os
from pathlib import Path

from supportdesk.frozen import Record, record

DB_ENV = "SUPPORTDESK_DB"
# A reseller's, customer's or remote agent's access token (`supportdesk token issue`).
TOKEN_ENV = "SUPPORTDESK_TOKEN"
NOW_ENV = "SUPPORTDESK_NOW"
USER_ENV = "SUPPORTDESK_USER"
DB_FILENAME = "desk.db"


@record
class DeskLocation(Record):
    """A desk path and whether the user named it (a named desk must already exist)."""

    path: Path
    explicit: bool


def default_desk_path() -> Path:
    """The desk in the platform's user data directory."""
    import platformdirs

    return Path(platformdirs.user_data_dir("supportdesk", appauthor=False)) / DB_FILENAME


def locate_desk(option: str | None) -> DeskLocation:
    """Resolve the desk file from the `--db` option, the environment, or the default."""
    if option:
        return DeskLocation(Path(option).expanduser(), explicit=True)
    env = os.environ.get(DB_ENV)
    if env:
        return DeskLocation(Path(env).expanduser(), explicit=True)
    return DeskLocation(default_desk_path(), explicit=False)


def current_login() -> str:
    """The OS user acting, overridable with SUPPORTDESK_USER for scripts and tests."""
    name = os.environ.get(USER_ENV)
    if name:
        return _utf8_login(name, USER_ENV)
    import getpass

    try:
        login = getpass.getuser()
    except Exception:  # no passwd entry and no LOGNAME/USER, e.g. in some containers
        from supportdesk.errors import Refused

        raise Refused(
            "cannot tell which OS user you are (no passwd entry and no USER or LOGNAME); "
            f"set {USER_ENV} to your agent login"
        ) from None
    return _utf8_login(login, "the OS user name")


def _utf8_login(name: str, where: str) -> str:
    """`name`, refused when it is not UTF-8 (the environment hands such bytes over as
    surrogate escapes, which no desk can store)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        from supportdesk.errors import InvalidInput

        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise InvalidInput(f"{where} {shown!r} is not valid UTF-8; set {USER_ENV} to your agent login in UTF-8") from None
    return name


def examples_dir() -> Path:
    """The example policies shipped in the wheel, or the repository's in a checkout."""
    from supportdesk.errors import InvalidInput

    here = Path(__file__).resolve().parent
    for candidate in (here / "examples", here.parent / "examples"):
        if (candidate / "hosting-general.toml").is_file():
            return candidate
    raise InvalidInput("cannot find the example policies; reinstall supportdesk")


def example_policies() -> dict[str, Path]:
    """Example policy name -> file, e.g. 'sitecom' -> examples/sitecom.toml."""
    return {path.stem: path for path in sorted(examples_dir().glob("*.toml"))}
