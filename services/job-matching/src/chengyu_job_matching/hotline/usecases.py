"""The 12333 use cases on the pure machine of :mod:`.request` and the rules of :mod:`.rules`:
both cities keep every request between them, each from its own clerks' steps and the other
city's events, each step saved with the request's next ``version``.

* The forwarding city (``from_city``, whose 12333 took the call) forwards, re-forwards an
  unsigned request past its ``sign_by``, decides extensions and records the callback; the
  receiving city (``to_city``) signs, returns, asks for extensions and resolves. The
  deadlines are counted on the receiving city's policy and calendar (the events carry
  them; a city applying the other's event takes its dates as they are).
* The caller's ID number becomes a person_ref at once; the phone is kept in this city's
  ``hotline_caller`` only, answered masked, never published or logged. Summaries,
  resolutions and reasons are screened for personal data (``personal-data-in-text``).
* Each event is applied once: a step the request already took (a redelivery, a replay)
  changes nothing; a re-forward that crossed a signature or a return on the bus is
  ignored (the signature, made within its window, stands); a reminder may arrive before
  the request it names and is kept.
* The forwarding city's sweep sends one ``HotlineRequestOverdue`` per step and deadline on
  the first working day after it (the ``hotline_overdue`` key makes a second impossible).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import Conflict, DomainError, Forbidden, NotFound
from chengyu_contracts.events.hr import (
    HotlineCallbackRecorded,
    HotlineExtensionDecided,
    HotlineExtensionRequested,
    HotlineRequestForwarded,
    HotlineRequestOverdue,
    HotlineRequestResolved,
    HotlineRequestReturned,
    HotlineRequestSigned,
)
from chengyu_contracts.masking import mask_phone
from chengyu_contracts.personal_text import refuse_personal_data
from chengyu_contracts.policy_book import policy_day
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from ..policy import HOTLINE_CATEGORIES, CityPolicy, PolicyBook
from . import request as machine
from . import rules, store
from .request import (
    AskExtension,
    Close,
    DecideExtension,
    Extension,
    HotlineRequest,
    HotlineStep,
    Reforward,
    Reopen,
    Resolve,
    Return,
    Sign,
)
from .store import Flag, Listing, StoredRequest

log = get_logger(__name__)

SUMMARY_MAX = 2000
REASON_MAX = 500
SWEEP_BATCH = 500


class UnitSource(Protocol):
    """Anything that opens units of work: the runtime, a test's city."""

    def unit(self) -> contextlib.AbstractAsyncContextManager[Unit]:
        """A unit of work, committed when the block ends."""
        ...


def receiving_policy(book: PolicyBook, request: HotlineRequest, unit: Unit) -> CityPolicy:
    """The receiving city's policy today: its limits and calendar count the deadlines."""
    return book.policy_for(request.to_city, unit.today)


def _other(city: City) -> City:
    return "cd" if city == "cq" else "cq"


def _text(value: str, what: str, most: int) -> str:
    text = value.strip()
    if not text:
        raise DomainError(f"missing-{what}", f"The {what} is required.")
    if len(text) > most:
        raise DomainError(f"{what}-too-long", f"The {what} has at most {most} characters.")
    refuse_personal_data(what.capitalize(), text)
    return text


async def _load(unit: Unit, request_id: str) -> StoredRequest:
    stored = await store.load_request(unit.conn, request_id, for_update=True)
    if stored is None:
        raise NotFound("unknown-request", f"No 12333 request {request_id} is known here.")
    return stored


async def _apply(unit: Unit, stored: StoredRequest, step: HotlineStep) -> StoredRequest:
    saved = replace(stored, request=machine.apply(stored.request, step), version=stored.version + 1)
    await store.save_request(unit.conn, saved, unit.now)
    return saved


def _must_receive(stored: StoredRequest, unit: Unit, what: str) -> None:
    if stored.request.to_city != unit.city:
        raise Forbidden(
            "not-receiving-city",
            f"Only {CITY_NAMES[stored.request.to_city]}, which received request "
            f"{stored.request.request_id}, may {what}.",
        )


def _must_forward(stored: StoredRequest, unit: Unit, what: str) -> None:
    if stored.request.from_city != unit.city:
        raise Forbidden(
            "not-forwarding-city",
            f"Only {CITY_NAMES[stored.request.from_city]}, which forwarded request "
            f"{stored.request.request_id}, may {what}.",
        )


def _forwarded_event(r: HotlineRequest) -> HotlineRequestForwarded:
    return HotlineRequestForwarded(
        request_id=r.request_id,
        attempt=r.attempt,
        from_city=r.from_city,
        to_city=r.to_city,
        category=r.category,
        caller_kind=r.caller_kind,
        caller_ref=r.caller_ref,
        summary=r.summary,
        received_at=r.received_at,
        forwarded_at=r.forwarded_at,
        sign_by=r.sign_by,
    )


# --------------------------------------------------------------------------------------------
# forward, re-forward (forwarding city)


@dataclass(frozen=True)
class ForwardRequest:
    """A request this city's 12333 took that belongs to the other city."""

    category: str
    caller_kind: str
    caller_phone: str
    summary: str
    received_at: datetime
    caller_id_number: str | None = None
    caller_credit_code: str | None = None


def _caller_ref(command: ForwardRequest, unit: Unit) -> str | None:
    kind = rules.parse_caller_kind(command.caller_kind)
    if kind == "citizen":
        if command.caller_credit_code is not None:
            raise DomainError(
                "credit-code-for-citizen", "A citizen caller has no unified social credit code."
            )
        if command.caller_id_number is None:
            return None
        return unit.person_ref(checked_resident_id(command.caller_id_number, unit.today))
    if command.caller_id_number is not None:
        raise DomainError(
            "id-number-for-enterprise",
            "An enterprise caller is named by its unified social credit code, not an ID number.",
        )
    if command.caller_credit_code is None:
        raise DomainError(
            "missing-credit-code",
            "An enterprise caller is named by its unified social credit code.",
        )
    return rules.parse_credit_code(command.caller_credit_code)


async def forward_request(
    command: ForwardRequest, unit: Unit, book: PolicyBook
) -> tuple[StoredRequest, str]:
    """Forward a request to the other city, to be signed by its ``sign_by``; the request
    and the caller's phone, masked (``unknown-category``, ``unknown-caller-kind``, resident
    ID codes, ``invalid-credit-code``, ``missing-credit-code``, ``credit-code-for-citizen``,
    ``id-number-for-enterprise``, ``invalid-phone``, ``missing-summary``,
    ``summary-too-long``, ``personal-data-in-text``, ``received-in-future``)."""
    category = rules.parse_category(command.category)
    caller_kind = rules.parse_caller_kind(command.caller_kind)
    caller_ref = _caller_ref(command, unit)
    phone = rules.parse_phone(command.caller_phone)
    summary = _text(command.summary, "summary", SUMMARY_MAX)
    if command.received_at.tzinfo is None:
        raise DomainError("naive-time", "received_at carries its offset (RFC 3339).")
    if command.received_at > unit.now:
        raise DomainError("received-in-future", "received_at is after now.")
    to_city = _other(unit.city)
    policy = book.policy_for(to_city, unit.today)
    due = rules.sign_by(policy, unit.today)
    request = HotlineRequest(
        request_id=f"hl-{unit.city}-{uuid.uuid4().hex[:16]}",
        from_city=unit.city,
        to_city=to_city,
        category=category,
        caller_kind=caller_kind,
        caller_ref=caller_ref,
        summary=summary,
        received_at=command.received_at,
        state="forwarded",
        attempt=1,
        forwarded_at=unit.now,
        sign_by=due,
        first_sign_by=due,
        history=(
            machine.HistoryEntry(
                "forwarded",
                unit.now,
                f"forwarded to {CITY_NAMES[to_city]}; to be signed by {due.isoformat()}",
            ),
        ),
    )
    stored = StoredRequest(request, version=1)
    await store.save_request(unit.conn, stored, unit.now)
    await store.save_caller_phone(unit.conn, request.request_id, phone)
    unit.emit(_forwarded_event(request))
    log.info("12333 request forwarded", request_id=request.request_id, category=category)
    return stored, mask_phone(phone)


@dataclass(frozen=True)
class RequestCommand:
    """A step on a request that needs nothing but its id."""

    request_id: str


async def reforward_request(command: RequestCommand, unit: Unit, book: PolicyBook) -> StoredRequest:
    """Forward an unsigned request again after its ``sign_by`` (``sign-window-open``,
    ``illegal-transition``, ``not-forwarding-city``)."""
    stored = await _load(unit, command.request_id)
    _must_forward(stored, unit, "forward it again")
    if stored.request.state != "forwarded":
        raise machine_conflict(stored.request, "be forwarded again")
    rules.check_reforward(stored.request, unit.today)
    due = rules.sign_by(receiving_policy(book, stored.request, unit), unit.today)
    saved = await _apply(unit, stored, Reforward(unit.now, due))
    unit.emit(_forwarded_event(saved.request))
    log.info("12333 request forwarded again", request_id=command.request_id)
    return saved


async def receive_forwarded(event: HotlineRequestForwarded, unit: Unit) -> None:
    """The receiving city keeps the request (once); a later attempt re-forwards it (when it
    crossed a signature or a return, only the attempt is recorded: the signature or return
    stands); an earlier attempt changes nothing."""
    stored = await store.load_request(unit.conn, event.request_id, for_update=True)
    if stored is None:
        request = HotlineRequest(
            request_id=event.request_id,
            from_city=event.from_city,
            to_city=event.to_city,
            category=event.category,
            caller_kind=event.caller_kind,
            caller_ref=event.caller_ref,
            summary=event.summary,
            received_at=event.received_at,
            state="forwarded",
            attempt=event.attempt,
            forwarded_at=event.forwarded_at,
            sign_by=event.sign_by,
            first_sign_by=event.sign_by,
            history=(
                machine.HistoryEntry(
                    "forwarded" if event.attempt == 1 else "reforwarded",
                    event.forwarded_at,
                    f"forwarded by {CITY_NAMES[event.from_city]} (attempt {event.attempt});"
                    f" to be signed by {event.sign_by.isoformat()}",
                ),
            ),
        )
        await store.save_request(unit.conn, StoredRequest(request, version=1), unit.now)
        return
    if event.attempt <= stored.request.attempt:
        return
    if stored.request.state != "forwarded":
        log.info("re-forward crossed a signature or return", request_id=event.request_id)
    await _apply(unit, stored, Reforward(event.forwarded_at, event.sign_by))


# --------------------------------------------------------------------------------------------
# sign, return (receiving city)


async def sign_request(command: RequestCommand, unit: Unit, book: PolicyBook) -> StoredRequest:
    """Sign for a request up to its ``sign_by`` (``sign-window-passed`` naming the date,
    ``illegal-transition``, ``not-receiving-city``)."""
    stored = await _load(unit, command.request_id)
    _must_receive(stored, unit, "sign for it")
    rules.check_sign(stored.request, unit.today)
    policy = receiving_policy(book, stored.request, unit)
    due = rules.resolve_by(policy, stored.request.category, unit.today)
    saved = await _apply(unit, stored, Sign(unit.now, due))
    r = saved.request
    unit.emit(
        HotlineRequestSigned(
            request_id=r.request_id,
            from_city=r.from_city,
            to_city=r.to_city,
            signed_at=unit.now,
            resolve_by=due,
        )
    )
    log.info("12333 request signed", request_id=r.request_id)
    return saved


async def receive_signed(event: HotlineRequestSigned, unit: Unit) -> None:
    """The forwarding city records the signature (once; also when it crossed a re-forward:
    it was made within the earlier attempt's window, and that attempt was signed)."""
    stored = await _load(unit, event.request_id)
    r = stored.request
    if r.state != "forwarded":
        return
    attempt = r.attempt if event.signed_at >= r.forwarded_at else r.attempt - 1
    await _apply(unit, stored, Sign(event.signed_at, event.resolve_by, max(attempt, 1)))


@dataclass(frozen=True)
class ReturnRequest:
    """The receiving city returns a wrongly routed request."""

    request_id: str
    reason: str


async def return_request(command: ReturnRequest, unit: Unit) -> StoredRequest:
    """Return a request up to its ``sign_by``, signed or not (``return-window-passed``,
    ``illegal-transition``, ``not-receiving-city``, ``missing-reason``)."""
    reason = _text(command.reason, "reason", REASON_MAX)
    stored = await _load(unit, command.request_id)
    _must_receive(stored, unit, "return it")
    rules.check_return(stored.request, unit.today)
    saved = await _apply(unit, stored, Return(unit.now, reason))
    r = saved.request
    unit.emit(
        HotlineRequestReturned(
            request_id=r.request_id,
            from_city=r.from_city,
            to_city=r.to_city,
            reason=reason,
            returned_at=unit.now,
        )
    )
    log.info("12333 request returned", request_id=r.request_id)
    return saved


async def receive_returned(event: HotlineRequestReturned, unit: Unit) -> None:
    """The forwarding city records the return (once)."""
    stored = await _load(unit, event.request_id)
    if stored.request.state not in ("forwarded", "signed"):
        return
    await _apply(unit, stored, Return(event.returned_at, event.reason))


# --------------------------------------------------------------------------------------------
# extensions


@dataclass(frozen=True)
class ExtensionCommand:
    """The receiving city asks for ``working_days`` more."""

    request_id: str
    working_days: int
    reason: str


async def ask_extension(
    command: ExtensionCommand, unit: Unit, book: PolicyBook
) -> tuple[StoredRequest, Extension]:
    """Ask for an extension on or before ``resolve_by`` (``extension-after-deadline``,
    ``bad-extension``, ``extension-pending``, ``illegal-transition``,
    ``not-receiving-city``)."""
    reason = _text(command.reason, "reason", REASON_MAX)
    stored = await _load(unit, command.request_id)
    _must_receive(stored, unit, "ask for an extension")
    policy = receiving_policy(book, stored.request, unit)
    if stored.request.state in ("signed", "reopened"):
        rules.check_extension(stored.request, command.working_days, unit.today, policy)
    extension_id = f"ext-{unit.city}-{uuid.uuid4().hex[:12]}"
    step = AskExtension(unit.now, extension_id, command.working_days, reason)
    saved = await _apply(unit, stored, step)
    r = saved.request
    unit.emit(
        HotlineExtensionRequested(
            request_id=r.request_id,
            extension_id=extension_id,
            from_city=r.from_city,
            to_city=r.to_city,
            working_days=command.working_days,
            reason=reason,
            requested_at=unit.now,
        )
    )
    log.info("12333 extension requested", request_id=r.request_id, days=command.working_days)
    return saved, saved.request.extension(extension_id)


async def receive_extension_requested(event: HotlineExtensionRequested, unit: Unit) -> None:
    """The forwarding city records the extension asked (once)."""
    stored = await _load(unit, event.request_id)
    if any(e.extension_id == event.extension_id for e in stored.request.extensions):
        return
    if stored.request.state not in ("signed", "reopened"):
        log.info("extension on a request not waiting", request_id=event.request_id)
        return
    step = AskExtension(event.requested_at, event.extension_id, event.working_days, event.reason)
    await _apply(unit, stored, step)


@dataclass(frozen=True)
class DecideCommand:
    """The forwarding city's answer to an extension."""

    request_id: str
    extension_id: str
    approved: bool
    reason: str | None = None


async def decide_extension(
    command: DecideCommand, unit: Unit, book: PolicyBook
) -> tuple[StoredRequest, Extension]:
    """Approve (``resolve_by`` moves by the working days on the receiving city's calendar)
    or refuse an extension (``unknown-extension``, ``extension-decided``,
    ``not-forwarding-city``, ``illegal-transition`` once the request is resolved)."""
    reason = None if not command.reason else _text(command.reason, "reason", REASON_MAX)
    stored = await _load(unit, command.request_id)
    _must_forward(stored, unit, "decide its extensions")
    r = stored.request
    if r.state not in ("signed", "reopened"):
        raise machine_conflict(r, "decide an extension")
    ext = r.extension(command.extension_id)
    current = r.resolve_by
    assert current is not None  # signed or reopened
    due = (
        rules.extended_resolve_by(receiving_policy(book, r, unit), current, ext.working_days)
        if command.approved
        else current
    )
    step = DecideExtension(unit.now, command.extension_id, command.approved, due, reason)
    saved = await _apply(unit, stored, step)
    unit.emit(
        HotlineExtensionDecided(
            request_id=r.request_id,
            extension_id=command.extension_id,
            from_city=r.from_city,
            to_city=r.to_city,
            approved=command.approved,
            resolve_by=due,
            reason=reason,
            decided_at=unit.now,
        )
    )
    log.info("12333 extension decided", request_id=r.request_id, approved=command.approved)
    return saved, saved.request.extension(command.extension_id)


def machine_conflict(request: HotlineRequest, what: str) -> Conflict:
    """``illegal-transition`` for a clerk's step the request's state forbids."""
    return Conflict(
        "illegal-transition", f"Request {request.request_id} is {request.state}: cannot {what}."
    )


async def receive_extension_decided(event: HotlineExtensionDecided, unit: Unit) -> None:
    """The receiving city records the decision (once; also after it resolved)."""
    stored = await _load(unit, event.request_id)
    if stored.request.extension(event.extension_id).state != "requested":
        return
    step = DecideExtension(
        event.decided_at, event.extension_id, event.approved, event.resolve_by, event.reason
    )
    await _apply(unit, stored, step)


# --------------------------------------------------------------------------------------------
# resolve (receiving city), callback (forwarding city)


@dataclass(frozen=True)
class ResolveCommand:
    """The receiving city's resolution."""

    request_id: str
    resolution: str


async def resolve_request(command: ResolveCommand, unit: Unit) -> StoredRequest:
    """Resolve a signed or reopened request (``illegal-transition``, ``not-receiving-city``,
    ``missing-resolution``, ``personal-data-in-text``)."""
    resolution = _text(command.resolution, "resolution", SUMMARY_MAX)
    stored = await _load(unit, command.request_id)
    _must_receive(stored, unit, "resolve it")
    saved = await _apply(unit, stored, Resolve(unit.now, resolution))
    r = saved.request
    unit.emit(
        HotlineRequestResolved(
            request_id=r.request_id,
            from_city=r.from_city,
            to_city=r.to_city,
            resolution=resolution,
            resolved_at=unit.now,
        )
    )
    log.info("12333 request resolved", request_id=r.request_id)
    return saved


async def receive_resolved(event: HotlineRequestResolved, unit: Unit) -> None:
    """The forwarding city records the resolution (once: not an earlier one again)."""
    stored = await _load(unit, event.request_id)
    r = stored.request
    if r.state not in ("signed", "reopened"):
        return
    if r.resolved_at is not None and event.resolved_at <= r.resolved_at:
        return
    await _apply(unit, stored, Resolve(event.resolved_at, event.resolution))


@dataclass(frozen=True)
class CallbackCommand:
    """The caller's feedback on the resolution."""

    request_id: str
    feedback: str


async def record_callback(command: CallbackCommand, unit: Unit, book: PolicyBook) -> StoredRequest:
    """Record the callback of a resolved request: closed, or reopened (dissatisfied, within
    the reopen limit) with a new ``resolve_by`` (``unknown-feedback``,
    ``illegal-transition``, ``not-forwarding-city``)."""
    feedback = rules.parse_feedback(command.feedback)
    stored = await _load(unit, command.request_id)
    _must_forward(stored, unit, "record its callback")
    r = stored.request
    policy = receiving_policy(book, r, unit)
    outcome = rules.callback_outcome(r, feedback, policy)
    due = rules.reopened_resolve_by(policy, unit.today) if outcome == "reopened" else None
    step: HotlineStep = (
        Close(unit.now, feedback) if due is None else Reopen(unit.now, feedback, due)
    )
    saved = await _apply(unit, stored, step)
    unit.emit(
        HotlineCallbackRecorded(
            request_id=r.request_id,
            from_city=r.from_city,
            to_city=r.to_city,
            feedback=feedback,
            outcome=outcome,
            resolve_by=due,
            recorded_at=unit.now,
        )
    )
    log.info("12333 callback recorded", request_id=r.request_id, outcome=outcome)
    return saved


async def receive_callback(event: HotlineCallbackRecorded, unit: Unit, book: PolicyBook) -> None:
    """The receiving city records the callback (once): closed, or reopened."""
    stored = await _load(unit, event.request_id)
    r = stored.request
    if r.state != "resolved":
        return
    if r.callback_at is not None and event.recorded_at <= r.callback_at:
        return
    if event.outcome == "closed":
        await _apply(unit, stored, Close(event.recorded_at, event.feedback))
        return
    due = event.resolve_by or rules.reopened_resolve_by(
        receiving_policy(book, r, unit), policy_day(event.recorded_at)
    )
    await _apply(unit, stored, Reopen(event.recorded_at, event.feedback, due))


# --------------------------------------------------------------------------------------------
# overdue


async def remind(units: UnitSource, book: PolicyBook, *, limit: int = SWEEP_BATCH) -> int:
    """The forwarding city's sweep: one ``HotlineRequestOverdue`` per step and deadline of
    its requests, on the first working day after the deadline (receiving city's calendar),
    each request in its own unit; how many were sent."""
    async with units.unit() as picking:
        candidates = await store.sweep_candidates(picking.conn, picking.city, picking.today, limit)
    sent = 0
    for request_id in candidates:
        async with units.unit() as unit:
            stored = await store.load_request(unit.conn, request_id, for_update=True)
            if stored is None:
                continue
            r = stored.request
            late = rules.overdue_reminder(r, unit.today, receiving_policy(book, r, unit))
            if late is None:
                continue
            if not await store.save_flag(
                unit.conn, r.request_id, Flag(late.step, late.due_on, unit.today)
            ):
                continue
            sent += 1
            unit.emit(
                HotlineRequestOverdue(
                    request_id=r.request_id,
                    from_city=r.from_city,
                    to_city=r.to_city,
                    step=late.step,
                    due_on=late.due_on,
                    flagged_on=unit.today,
                )
            )
            log.warning("12333 request overdue", request_id=r.request_id, step=late.step)
    return sent


async def receive_overdue(event: HotlineRequestOverdue, unit: Unit) -> None:
    """The receiving city keeps the reminder (once; also before the request it names)."""
    flag = Flag(event.step, event.due_on, event.flagged_on)
    await store.save_flag(unit.conn, event.request_id, flag)


# --------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class Seen:
    """A request as a clerk of this city sees it: the caller's phone masked where this city
    took the call, and whether the step it waits for is flagged overdue."""

    stored: StoredRequest
    caller_phone: str | None
    overdue: bool


def current_overdue(stored: StoredRequest) -> bool:
    """Whether the step the request waits for was flagged overdue at its current deadline."""
    waiting = machine.waiting_for(stored.request)
    if waiting is None:
        return False
    step, due_on = waiting
    return any(f.step == step and f.due_on == due_on for f in stored.flags)


async def _seen(unit: Unit, stored: StoredRequest) -> Seen:
    phone = None
    if stored.request.from_city == unit.city:
        raw = await store.caller_phone(unit.conn, stored.request.request_id)
        phone = None if raw is None else mask_phone(raw)
    return Seen(stored, phone, current_overdue(stored))


async def request_view(request_id: str, unit: Unit) -> Seen:
    """A request known here (``unknown-request``)."""
    stored = await store.load_request(unit.conn, request_id)
    if stored is None:
        raise NotFound("unknown-request", f"No 12333 request {request_id} is known here.")
    return await _seen(unit, stored)


@dataclass(frozen=True)
class ListCommand:
    """The filters of a listing."""

    direction: str | None = None
    state: str | None = None
    overdue: bool | None = None


async def list_requests(command: ListCommand, unit: Unit) -> list[Seen]:
    """The requests known here (``unknown-direction``, ``unknown-state``)."""
    if command.direction is not None and command.direction not in ("forwarded", "received"):
        raise DomainError("unknown-direction", "Direction is forwarded or received.")
    if command.state is not None and command.state not in machine.STATES:
        raise DomainError("unknown-state", f"State is one of {', '.join(machine.STATES)}.")
    listing = Listing(unit.city, command.direction, command.state, command.overdue)
    return [await _seen(unit, s) for s in await store.requests(unit.conn, listing)]


async def metrics(unit: Unit) -> dict[str, dict[str, store.CategoryCount]]:
    """Per receiving city and category, the finished requests and those on time (every
    city and category present)."""
    counts = {(c.to_city, c.category): c for c in await store.metrics(unit.conn)}
    return {
        city: {
            cat: counts.get((city, cat), store.CategoryCount(city, cat, 0, 0))
            for cat in HOTLINE_CATEGORIES
        }
        for city in ("cq", "cd")
    }
