"""The deadline rules of 12333 requests, on the receiving city's policy and working-day
calendar (the city that owes the steps), and the checks of a clerk's input. Pure.

* ``sign_by``: the policy's sign-for window (1 working day) after the day it was forwarded
  (again after a re-forward);
* ``resolve_by``: the category's limit after the day it was signed (0 = the same day:
  urgent), moved by an approved extension (working days after the old ``resolve_by``), and
  set again after a poor callback (the policy's reopen limit after the callback's day);
* sign and return only up to ``sign_by`` (that day included), re-forward only after it;
* an extension only while the request waits for its resolution, on or before
  ``resolve_by``, of 1 .. the policy's maximum working days, one at a time;
* a dissatisfied callback reopens the request at most the policy's ``hotline_max_reopens``
  times; after that it closes it (the feedback recorded);
* a step's overdue reminder goes out on the first working day after its deadline
  (:mod:`..deadlines`);
* on time (the metrics): signed by the first attempt's ``sign_by`` on the first attempt,
  and resolved by the final ``resolve_by``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from chengyu_contracts.cities import CITY_NAMES
from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.events.hr import HotlineCategory
from chengyu_contracts.policy_book import policy_day

from .. import deadlines
from ..policy import HOTLINE_CATEGORIES, CityPolicy
from .request import FEEDBACKS, CallerKind, DueStep, Feedback, HotlineRequest, waiting_for

__all__ = [
    "CALLER_KINDS",
    "Overdue",
    "callback_outcome",
    "check_extension",
    "check_reforward",
    "check_return",
    "check_sign",
    "extended_resolve_by",
    "is_on_time",
    "overdue_reminder",
    "parse_caller_kind",
    "parse_category",
    "parse_credit_code",
    "parse_feedback",
    "parse_phone",
    "reopened_resolve_by",
    "resolve_by",
    "sign_by",
]

CALLER_KINDS: Final[tuple[CallerKind, ...]] = ("citizen", "enterprise")
_PHONE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
# GB 32100-2015: the unified social credit code's 31 characters (no I, O, Z, S, V).
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


# --------------------------------------------------------------------------------------------
# deadlines


def sign_by(policy: CityPolicy, forwarded_on: date) -> date:
    """The day the receiving city must sign by, for a request forwarded on
    ``forwarded_on``."""
    return deadlines.due_after(policy.calendar, forwarded_on, policy.hotline_sign_working_days)


def resolve_by(policy: CityPolicy, category: HotlineCategory, signed_on: date) -> date:
    """The day a request of ``category`` signed on ``signed_on`` must be resolved by."""
    limit = policy.hotline_resolve_working_days[category]
    return deadlines.due_after(policy.calendar, signed_on, limit)


def extended_resolve_by(policy: CityPolicy, current: date, working_days: int) -> date:
    """``current`` moved by an approved extension of ``working_days``."""
    return deadlines.due_after(policy.calendar, current, working_days)


def reopened_resolve_by(policy: CityPolicy, reopened_on: date) -> date:
    """The new deadline of a request a poor callback reopened on ``reopened_on``."""
    return deadlines.due_after(policy.calendar, reopened_on, policy.hotline_reopen_working_days)


# --------------------------------------------------------------------------------------------
# windows


def check_sign(request: HotlineRequest, today: date) -> None:
    """Refuse signing after ``sign_by`` (``sign-window-passed``, naming the date)."""
    if request.state == "forwarded" and deadlines.is_overdue(request.sign_by, today):
        raise Conflict(
            "sign-window-passed",
            f"Request {request.request_id} had to be signed by {request.sign_by.isoformat()};"
            f" {CITY_NAMES[request.from_city]} will forward it again.",
        )


def check_return(request: HotlineRequest, today: date) -> None:
    """Refuse returning after ``sign_by`` (``return-window-passed``, naming the date)."""
    if request.state in ("forwarded", "signed") and deadlines.is_overdue(request.sign_by, today):
        raise Conflict(
            "return-window-passed",
            f"Request {request.request_id} could be returned only up to "
            f"{request.sign_by.isoformat()}.",
        )


def check_reforward(request: HotlineRequest, today: date) -> None:
    """Refuse re-forwarding while the sign-for window is open (``sign-window-open``)."""
    if request.state == "forwarded" and not deadlines.is_overdue(request.sign_by, today):
        raise Conflict(
            "sign-window-open",
            f"Request {request.request_id} may be signed up to {request.sign_by.isoformat()};"
            " it is forwarded again only after that.",
        )


def check_extension(
    request: HotlineRequest, working_days: int, today: date, policy: CityPolicy
) -> None:
    """Refuse an extension of a bad length (``bad-extension``) or asked after the deadline
    (``extension-after-deadline``, naming it)."""
    most = policy.hotline_max_extension_working_days
    if not 1 <= working_days <= most:
        raise DomainError(
            "bad-extension", f"An extension is of 1 to {most} working days, not {working_days}."
        )
    if request.resolve_by is not None and deadlines.is_overdue(request.resolve_by, today):
        raise Conflict(
            "extension-after-deadline",
            f"Request {request.request_id} had to be resolved by "
            f"{request.resolve_by.isoformat()}: an extension is asked before the deadline.",
        )


def callback_outcome(
    request: HotlineRequest, feedback: Feedback, policy: CityPolicy
) -> Literal["closed", "reopened"]:
    """What a callback does: a dissatisfied caller reopens the request while it was reopened
    fewer than the policy's ``hotline_max_reopens`` times; anything else closes it."""
    if feedback == "dissatisfied" and request.reopens < policy.hotline_max_reopens:
        return "reopened"
    return "closed"


# --------------------------------------------------------------------------------------------
# overdue and on time


@dataclass(frozen=True)
class Overdue:
    """The receiving city's step past its deadline, due a reminder."""

    step: DueStep
    due_on: date


def overdue_reminder(request: HotlineRequest, today: date, policy: CityPolicy) -> Overdue | None:
    """The step of ``request`` whose reminder is due on ``today`` (the first working day
    after its deadline, on the receiving city's calendar, or any day after), if any."""
    waiting = waiting_for(request)
    if waiting is None:
        return None
    step, due_on = waiting
    if today < deadlines.reminder_day(policy.calendar, due_on):
        return None
    return Overdue(step, due_on)


def is_on_time(request: HotlineRequest) -> bool | None:
    """Whether a resolved request met its deadlines (signed on the first attempt by its
    ``sign_by``, resolved by the final ``resolve_by``); None while unresolved."""
    if request.resolved_at is None or request.signed_at is None or request.resolve_by is None:
        return None
    signed_in_time = request.signed_attempt == 1 and deadlines.on_time(
        request.first_sign_by, policy_day(request.signed_at)
    )
    return signed_in_time and deadlines.on_time(request.resolve_by, policy_day(request.resolved_at))


# --------------------------------------------------------------------------------------------
# input


def parse_category(text: str) -> HotlineCategory:
    """A category (``unknown-category``)."""
    for category in HOTLINE_CATEGORIES:
        if text == category:
            return category
    raise DomainError("unknown-category", f"A category is one of {', '.join(HOTLINE_CATEGORIES)}.")


def parse_caller_kind(text: str) -> CallerKind:
    """A caller kind (``unknown-caller-kind``)."""
    for kind in CALLER_KINDS:
        if text == kind:
            return kind
    raise DomainError("unknown-caller-kind", f"A caller is one of {', '.join(CALLER_KINDS)}.")


def parse_feedback(text: str) -> Feedback:
    """A callback's feedback (``unknown-feedback``)."""
    for feedback in FEEDBACKS:
        if text == feedback:
            return feedback
    raise DomainError("unknown-feedback", f"Feedback is one of {', '.join(FEEDBACKS)}.")


def parse_phone(raw: str) -> str:
    """A caller's phone: an 11-digit mobile or a landline with its area code
    (``invalid-phone``; the number is never quoted)."""
    phone = raw.strip()
    if not _PHONE.match(phone):
        raise DomainError(
            "invalid-phone",
            "The caller's phone is an 11-digit mobile number or a landline with its area code.",
        )
    return phone


def parse_credit_code(raw: str) -> str:
    """An enterprise's 18-character unified social credit code (统一社会信用代码, GB
    32100-2015) with its check character (``invalid-credit-code``)."""
    code = raw.strip().upper()
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        raise DomainError(
            "invalid-credit-code",
            "A unified social credit code has 18 characters of 0-9 and A-Y without I, O, S, V, Z.",
        )
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(code[:17], _CREDIT_WEIGHTS, strict=True))
    if _CREDIT_CHARS[(31 - total % 31) % 31] != code[17]:
        raise DomainError(
            "invalid-credit-code", "The unified social credit code's check character is wrong."
        )
    return code
