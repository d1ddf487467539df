"""Project settings (admin): stored as JSON values, audited like every other change."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import Setting, User
from . import audit
from .policy import DEFAULT_SETTINGS, get_setting
from .errors import ValidationFailed


def set_setting(session: Session, actor: User, key: str, value: object) -> None:
    """Change a known setting to a value of the same type as its default."""
    if key not in DEFAULT_SETTINGS:
        raise ValidationFailed(f"Unknown setting {key!r}.", "key")
    if type(value) is not type(DEFAULT_SETTINGS[key]):
        raise ValidationFailed(f"{key} takes a {type(DEFAULT_SETTINGS[key]).__name__}.", key)
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


def all_settings(session: Session) -> dict[str, object]:
    return {key: get_setting(session, key) for key in DEFAULT_SETTINGS}
