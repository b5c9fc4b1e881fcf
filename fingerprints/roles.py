"""What a column of a leaked table holds."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Role of a leak column. Identifying roles drive matching; weak ones only corroborate."""

    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    MIDDLE_NAME = "middle_name"
    FULL_NAME = "full_name"  # "LAST, FIRST" or "First Last" in one cell
    DOB = "dob"
    ID = "id"
    COUNTRY = "country"
    PLACE = "place"  # facility, city, office, address
    STATUS = "status"
    GENDER = "gender"
    DATE = "date"  # a date that is not the date of birth (book-in date, ...)
    OTHER = "other"
    IGNORE = "ignore"

    @property
    def is_name(self) -> bool:
        return self in (Role.FIRST_NAME, Role.LAST_NAME, Role.MIDDLE_NAME, Role.FULL_NAME)

    @property
    def is_weak(self) -> bool:
        return self in (Role.COUNTRY, Role.PLACE, Role.STATUS, Role.GENDER, Role.DATE, Role.OTHER)


@dataclass(frozen=True)
class Column:
    """A leak column: its header text (not personal data) and its role."""

    name: str
    role: Role
