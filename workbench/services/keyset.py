"""Keyset pages in a chosen order, shared by the article list and the project report.

Each order sorts on a key that is never NULL (a missing value sorts as the lowest), with the
article id breaking ties so that paging stays exact; the cursor of the next page is an opaque
token carrying the order, the last row's key and its id, so a page never repeats or skips a row
whatever is added meanwhile elsewhere in the order.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, or_

# How each kind of key travels in a cursor: "id" (the key is the row's id), "text", "date"
# (ISO), "share" (a number from -1 to 1).
KINDS = ("id", "text", "date", "share")
MAX_CURSOR_LENGTH = 2000


@dataclass(frozen=True)
class Order:
    """A sort and direction and, past the first page, where the last one ended."""

    sort: str
    direction: str
    after: tuple[Any, int] | None = None  # (key, id) of the last row shown

    @property
    def descending(self) -> bool:
        return self.direction == "desc"

    def token(self, key: Any, row_id: int) -> str:
        """The opaque cursor of the page after the row with this key and id."""
        if isinstance(key, date):
            key = key.isoformat()
        raw = json.dumps([self.sort, self.direction, key, row_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def pick_order(sort: object, direction: object, *, sorts: Mapping[str, str],
               default: tuple[str, str]) -> tuple[str, str]:
    """``sort`` and ``direction`` when they are ones ``sorts`` offers; else the default sort,
    and a sort's own default direction (descending for the default sort, else ascending)."""
    if sort not in sorts:
        sort, direction = default
    if direction not in ("asc", "desc"):
        direction = default[1] if sort == default[0] else "asc"
    return str(sort), str(direction)


def decode(cursor: object, sort: str, direction: str, kind: str) -> tuple[Any, int] | None:
    """The (key, id) a cursor of this order carries; None when it is not one (not base64,
    not JSON, made for another order, a key of the wrong kind)."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        cursor_sort, cursor_direction, key, row_id = decoded
    except (ValueError, TypeError, RecursionError):  # not base64, not JSON, not four items
        return None
    if (cursor_sort, cursor_direction) != (sort, direction) or type(row_id) is not int \
            or not 0 < row_id < 2**63:
        return None
    try:
        if kind == "id":
            key = row_id
        elif kind == "share":
            if type(key) not in (int, float) or not -1 <= key <= 1:
                return None
            key = float(key)
        elif kind == "date":
            if not isinstance(key, str):
                return None
            key = date.fromisoformat(key)
        elif not isinstance(key, str) or len(key) > 1000 or "\x00" in key:
            return None
        else:
            key.encode("utf-8")  # a lone surrogate is no title
    except (ValueError, TypeError):
        return None
    return key, row_id


def apply(stmt, order: Order, key, id_column):  # type: ignore[no-untyped-def]
    """``stmt`` ordered by ``key`` then ``id_column`` in ``order``, starting after its cursor.
    A key that is the id itself (``key is id_column``) orders on the id alone."""
    descending = order.descending
    alone = key is id_column
    if order.after is not None:
        value, last_id = order.after
        if alone:
            stmt = stmt.where(id_column < last_id if descending else id_column > last_id)
        elif descending:
            stmt = stmt.where(or_(key < value, and_(key == value, id_column < last_id)))
        else:
            stmt = stmt.where(or_(key > value, and_(key == value, id_column > last_id)))
    if alone:
        return stmt.order_by(id_column.desc() if descending else id_column.asc())
    return stmt.order_by(*((key.desc(), id_column.desc()) if descending
                           else (key.asc(), id_column.asc())))
