"""One row of the civil-affairs export, checked into a register entry or refused with a
code and a sentence (never quoting the ID number, the name or the phone). Pure rules: no
I/O; the day comes from the caller.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from chengyu_contracts.cities import City
from chengyu_contracts.districts import district_of
from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.resident_id import ResidentId, checked_resident_id

from ..allowance.eligibility import birthday_in
from ..policy import ASSISTANCE, BAND_AGES, Assistance, CityPolicy

NAME_MAX = 50
#: The first band's age (80): the register holds those of it or about to reach it.
FIRST_BAND_AGE = min(BAND_AGES.values())

_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")
# An 11-digit mainland mobile number, or a landline with its area code (0 + 2-3 digits),
# optionally separated by one '-'.
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class ImportRow:
    """A row as the clerk sent it (``line``: its line in the file, the header being 1)."""

    line: int
    id_number: str
    name: str
    district: str
    assistance: str
    assistance_since: str | None
    bank_account_token: str
    phone: str


@dataclass(frozen=True)
class RegisterEntry:
    """A checked row: what the register keeps of the person."""

    line: int
    resident: ResidentId
    name: str
    district: str
    assistance: Assistance
    assistance_since: date | None
    bank_account_token: str
    phone: str


@dataclass(frozen=True)
class RowError:
    """A refused row: its line, the rule's code and a sentence without personal data."""

    line: int
    code: str
    message: str


def months_after(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter."""
    year, zero_based = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, zero_based + 1)[1]
    return date(year, zero_based + 1, min(day.day, last))


def of_register_age(birth: date, today: date, horizon_months: int) -> bool:
    """Whether a person born on ``birth`` is, on ``today``, of the first band's age or
    reaches it within ``horizon_months``."""
    # One definition of the birthday for the register and the allowance (29 February).
    return birthday_in(birth, birth.year + FIRST_BAND_AGE) <= months_after(today, horizon_months)


def parse_day(text: str, what: str) -> date:
    """``YYYY-MM-DD`` as a date; ``invalid-date`` naming ``what`` otherwise."""
    text = text.strip()
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            "invalid-date", f"The {what} is not a real date written YYYY-MM-DD."
        ) from None


def checked_name(raw: str) -> str:
    """A person's name: non-empty, at most :data:`NAME_MAX` characters."""
    name = raw.strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError("invalid-name", f"The name must have 1 to {NAME_MAX} characters.")
    return name


def checked_assistance(raw: str) -> Assistance:
    """``none``, ``dibao`` (低保) or ``tekun`` (特困)."""
    for status in ASSISTANCE:
        if raw.strip() == status:
            return status
    raise DomainError("invalid-assistance", "The assistance status is none, dibao or tekun.")


def checked_since(status: Assistance, raw: str | None, today: date) -> date | None:
    """The day a 低保 / 特困 status started: required for those, not in the future."""
    if raw is None or not raw.strip():
        if status == "none":
            return None
        raise DomainError(
            "assistance-since-required", "A dibao or tekun status needs the day it started."
        )
    since = parse_day(raw, "assistance start date")
    if since > today:
        raise DomainError(
            "assistance-since-in-future", "The assistance status cannot start after today."
        )
    return since


def checked_bank_account_token(raw: str) -> str:
    """The bank's token for the account (never the account number itself)."""
    token = raw.strip()
    if not _TOKEN.match(token):
        raise DomainError(
            "invalid-bank-account-token",
            "The bank account token must be 1 to 128 letters, digits or '-', '_', '.', ':'.",
        )
    return token


def checked_phone(raw: str) -> str:
    """An 11-digit mobile number or a landline with its area code (an optional '-')."""
    phone = raw.strip()
    if not _PHONE.match(phone):
        raise DomainError(
            "invalid-phone",
            "The phone must be an 11-digit mobile number or a landline with its area code.",
        )
    return phone


def checked_row(row: ImportRow, city: City, today: date, policy: CityPolicy) -> RegisterEntry:
    """``row`` as a register entry of ``city`` on ``today``, or the first rule it breaks
    (a :class:`DomainError`)."""
    resident = checked_resident_id(row.id_number, today)
    name = checked_name(row.name)
    district = district_of(city, row.district).code
    assistance = checked_assistance(row.assistance)
    since = checked_since(assistance, row.assistance_since, today)
    token = checked_bank_account_token(row.bank_account_token)
    phone = checked_phone(row.phone)
    if not of_register_age(resident.birth_date, today, policy.register_horizon_months):
        raise DomainError(
            "not-of-register-age",
            f"The register holds persons aged {FIRST_BAND_AGE} or reaching it within"
            f" {policy.register_horizon_months} months.",
        )
    return RegisterEntry(
        line=row.line,
        resident=resident,
        name=name,
        district=district,
        assistance=assistance,
        assistance_since=since if assistance != "none" else None,
        bank_account_token=token,
        phone=phone,
    )


def checked_batch(
    rows: Iterable[ImportRow], city: City, today: date, policy: CityPolicy
) -> tuple[list[RegisterEntry], list[RowError]]:
    """Every row of a batch checked: the entries, and the refused rows by line. A second
    row with an ID number seen earlier in the batch is refused ``duplicate-row`` (which
    of two differing rows is right is for the clerk to say)."""
    entries: list[RegisterEntry] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        try:
            entry = checked_row(row, city, today, policy)
        except DomainError as error:
            errors.append(RowError(row.line, error.code, error.sentence))
            continue
        number = entry.resident.number
        if number in first_line:
            errors.append(
                RowError(
                    row.line,
                    "duplicate-row",
                    f"The same ID number is on line {first_line[number]} of this batch.",
                )
            )
            continue
        first_line[number] = row.line
        entries.append(entry)
    return entries, errors


def lines_in_order(errors: Sequence[RowError]) -> list[RowError]:
    """``errors`` by line."""
    return sorted(errors, key=lambda e: e.line)
