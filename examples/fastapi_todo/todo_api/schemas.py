"""What the API accepts and returns. Separate from the table on purpose: the client never sends ``id`` or ``user_id``
(unknown fields are refused, not ignored), and the owner always comes from the verified token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator

from .models import DESCRIPTION_MAX, TITLE_MAX


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no driver can encode a lone surrogate (JSON "\ud800" decodes to one):
    # refuse them here with a 422 instead of failing in the database with a 500.
    if "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value):
        raise ValueError("must not contain NUL or unpaired surrogate characters")
    return value


def _title(value: str) -> str:
    value = _storable(value).strip()
    if not value:
        raise ValueError("must not be empty")
    if len(value) > TITLE_MAX:
        raise ValueError(f"must be at most {TITLE_MAX} characters (after trimming spaces)")
    return value


def _description(value: str) -> str:
    if len(_storable(value)) > DESCRIPTION_MAX:
        raise ValueError(f"must be at most {DESCRIPTION_MAX} characters")
    return value


Title = Annotated[StrictStr, AfterValidator(_title), Field(json_schema_extra={"minLength": 1, "maxLength": TITLE_MAX})]
Description = Annotated[
    StrictStr, AfterValidator(_description), Field(json_schema_extra={"maxLength": DESCRIPTION_MAX})
]


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description = ""


class TaskReplace(TaskCreate):
    """``PUT``: the whole editable state; omitted fields take their defaults."""

    completed: StrictBool = False


class TaskPatch(BaseModel):
    """``PATCH``: only the fields present change."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    completed: StrictBool | None = None

    @field_validator("title", "description", "completed", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only runs for fields the client sent: leaving a field out is fine, sending null for it is not.
        if value is None:
            raise ValueError("may be omitted, but not null")
        return value


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: str
    title: str
    description: str
    completed: bool
    created_at: datetime
    updated_at: datetime


class TaskPage(BaseModel):
    items: list[TaskRead]
    total: int
    limit: int
    offset: int


class Me(BaseModel):
    """The caller, as the verified token describes them."""

    user_id: str
    email: str | None
    name: str | None
    email_verified: bool | None
    image: str | None
    session_id: str | None
    issued_at: datetime
    expires_at: datetime
