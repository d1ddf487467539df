"""Project settings (admin): stored as JSON values, audited like every other change."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Setting, User
from . import audit
from ..values import parse_http_url, parse_line
from .policy import DEFAULT_SETTINGS, PUBLISHER_URL, get_setting

MAX_SCALE_NAME = 100
MAX_SETTING_TEXT = 200
from .errors import ValidationFailed


def set_setting(session: Session, actor: User, key: str, value: object) -> None:
    """Change a known setting to a value of the same type as its default."""
    if key not in DEFAULT_SETTINGS:
        raise ValidationFailed(f"Unknown setting {key!r}.", "key")
    if type(value) is not type(DEFAULT_SETTINGS[key]):
        raise ValidationFailed(f"{key} takes a {type(DEFAULT_SETTINGS[key]).__name__}.", key)
    if isinstance(value, list):
        value = _scale(key, value)
    if isinstance(value, str):
        value = parse_line(value, key, maximum=MAX_SETTING_TEXT, what="This setting")
        if key == PUBLISHER_URL:
            value = parse_http_url(value, key)
    before = get_setting(session, key)
    if before == value:
        return
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.flush()
    audit.record(session, actor, "setting.update", "setting", None,
                 before={key: before}, after={key: value})


def _scale(key: str, values: list[object]) -> list[str]:
    """A rating scale: 2 to 12 distinct one-line names, best first."""
    names = [parse_line(v, key, maximum=MAX_SCALE_NAME, what="A rating") for v in values]
    if not 2 <= len(names) <= 12:
        raise ValidationFailed("A scale has 2 to 12 ratings.", key)
    if len(set(n.casefold() for n in names)) != len(names):
        raise ValidationFailed("Each rating of a scale is named once.", key)
    return names


def all_settings(session: Session) -> dict[str, object]:
    return {key: get_setting(session, key) for key in DEFAULT_SETTINGS}
