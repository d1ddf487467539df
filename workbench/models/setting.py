"""Project-wide settings (such as ``reveal_after_submit``), one row per key."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Setting(Base):
    """A project setting such as ``reveal_after_submit``; values are JSON."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
