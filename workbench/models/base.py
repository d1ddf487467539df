from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite stores them without a zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def sqlite_isoformat(stored: str) -> str:
    """What ``isoformat()`` writes for the value ``UTCDateTime`` reads from SQLite's stored text
    (``2024-01-01 00:01:02.000000``), without building the datetime: bulk reads (exports) take
    this path, everything else reads datetimes."""
    if len(stored) == 26 and stored[10] == " " and stored[19] == ".":
        if stored.endswith(".000000"):  # isoformat() leaves out zero microseconds
            return f"{stored[:10]}T{stored[11:19]}+00:00"
        return f"{stored[:10]}T{stored[11:]}+00:00"
    moment = datetime.fromisoformat(stored)  # a shape SQLAlchemy does not write
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
