"""The ``tasks`` table. Every row belongs to exactly one Better Auth user (``user_id`` = the token's ``sub``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

TITLE_MAX = 200
DESCRIPTION_MAX = 1000


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored and returned in UTC on every backend. SQLite keeps no time zone, so without this a value
    would come back naive there and aware from PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Code-point order on both backends (SQLite compares UTF-8 bytes; PostgreSQL would otherwise use the server's locale),
# so sorting and pagination by title give the same pages whichever database runs.
TitleType = String(TITLE_MAX).with_variant(String(TITLE_MAX, collation="C"), "postgresql")


class Task(SQLModel, table=True):
    __tablename__ = "tasks"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=255, index=True)
    title: str = Field(sa_type=TitleType)
    description: str = Field(default="", sa_type=String(DESCRIPTION_MAX))
    completed: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
