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
# The user's own settings file (TOML), e.g. `[bulk] confirm_above = 50`.
CONFIG_ENV = "SUPPORTDESK_CONFIG"
CONFIG_FILENAME = "config.toml"
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


def user_config_path() -> Path:
    """The user's settings file: `SUPPORTDESK_CONFIG`, else config.toml in the platform's
    user config directory (it need not exist)."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("supportdesk", appauthor=False)) / CONFIG_FILENAME


# The user settings there are: (table, key) -> (default, meaning).
USER_SETTINGS: dict[tuple[str, str], tuple[int, str]] = {
    ("bulk", "confirm_above"): (20, "close, assign and escalate --auto ask before changing more tickets than this (0: always ask)"),
}


def user_table(table: str, example: str) -> dict:
    """A table of the settings file ({} when the file or the table is missing); a broken
    file is an error naming it, and a `table` that is not a table one showing `example`."""
    import tomllib

    from supportdesk.errors import InvalidInput

    path = user_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read the settings file {path}: {getattr(error, 'strerror', None) or error}; fix or remove it") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"the settings file {path} is not valid TOML ({error}); fix or remove it") from None
    section = data.get(table, {})
    if not isinstance(section, dict):
        raise InvalidInput(f"{path}: [{table}] must be a table; e.g. [{table}] {example}")
    return section


def user_setting(table: str, key: str) -> int:
    """A user setting from the settings file, or its default when the file or the key is
    missing; a broken file or value is an error naming the file and the key."""
    from supportdesk.errors import InvalidInput

    default, meaning = USER_SETTINGS[(table, key)]
    path = user_config_path()
    section = user_table(table, f"{key} = {default}")
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{path}: {table}.{key} must be a whole number of 0 or more ({meaning}); e.g. {key} = {default}")
    return value


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
