"""A 12333 request forwarded between the cities (诉求互转) as an explicit state machine.

::

                  Reforward (unsigned past sign_by: attempt n+1)
                  ┌──┐
                  ▼  │
    (forward) ─► forwarded ──Sign──► signed ──Resolve──► resolved ──Close──► closed
                    │                  │  ▲                │   ▲
                    │      Return      │  └─AskExtension   │   │
                    └──────┬───────────┘    DecideExtension│   │ Resolve
                           ▼                         Reopen│   │
                        returned                           ▼   │
                                                        reopened ──┐ AskExtension
                                                           ▲───────┘ DecideExtension

``forwarded`` waits for the receiving city (``to_city``) to sign by ``sign_by``; left
unsigned past it, the forwarding city (``from_city``) re-forwards it (the next ``attempt``,
a new ``sign_by``). ``signed`` and ``reopened`` wait for a resolution by ``resolve_by``,
which an approved extension moves. ``resolved`` waits for the forwarding city's callback:
a satisfied caller (or one not reachable) closes it, a dissatisfied one reopens it.
``returned`` (wrongly routed) and ``closed`` are ends. Two steps may cross another on the
bus and are still recorded: an extension's decision crossing the resolution (``resolved``
keeps it), and a re-forward crossing a signature or a return made within the window
(``signed`` / ``returned`` record the attempt; the signature or return stands).

The windows (sign only up to ``sign_by``, return only up to ``sign_by``, re-forward only
after it, an extension only up to ``resolve_by``) are the rules of :mod:`.rules`, checked
where a clerk acts; this machine says only which step may follow which, so that the other
city's events, which were checked where they were taken, are applied as they come. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final, Literal

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import Conflict, NotFound
from chengyu_contracts.events.hr import HotlineCategory

__all__ = [
    "FEEDBACKS",
    "OPEN_STATES",
    "STATES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "AskExtension",
    "Close",
    "DecideExtension",
    "Extension",
    "HistoryEntry",
    "HotlineRequest",
    "HotlineState",
    "HotlineStep",
    "Reforward",
    "Reopen",
    "Resolve",
    "Return",
    "Sign",
    "apply",
    "waiting_for",
]

HotlineState = Literal["forwarded", "signed", "returned", "resolved", "closed", "reopened"]
CallerKind = Literal["citizen", "enterprise"]
Feedback = Literal["satisfied", "basically-satisfied", "dissatisfied", "unreachable"]
ExtensionState = Literal["requested", "approved", "refused"]
DueStep = Literal["sign", "resolve"]

STATES: Final[tuple[HotlineState, ...]] = (
    "forwarded",
    "signed",
    "returned",
    "resolved",
    "closed",
    "reopened",
)
TERMINAL_STATES: Final[frozenset[HotlineState]] = frozenset({"returned", "closed"})
#: States in which a step with a deadline is owed by the receiving city.
OPEN_STATES: Final[tuple[HotlineState, ...]] = ("forwarded", "signed", "reopened")
FEEDBACKS: Final[tuple[Feedback, ...]] = (
    "satisfied",
    "basically-satisfied",
    "dissatisfied",
    "unreachable",
)


@dataclass(frozen=True)
class Extension:
    """More working days asked by the receiving city, and the forwarding city's answer."""

    extension_id: str
    working_days: int
    reason: str
    requested_at: datetime
    state: ExtensionState = "requested"
    decided_at: datetime | None = None
    decision_reason: str | None = None
    #: ``resolve_by`` after the decision (moved when approved).
    resolve_by: date | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One step a request took: its name, when, and what happened (no personal data)."""

    step: str
    at: datetime
    detail: str


@dataclass(frozen=True)
class HotlineRequest:
    """One forwarded request as both cities keep it (the caller's phone is kept apart, in
    the forwarding city only)."""

    request_id: str
    from_city: City
    to_city: City
    category: HotlineCategory
    caller_kind: CallerKind
    #: The citizen's person_ref or the enterprise's unified social credit code.
    caller_ref: str | None
    summary: str
    received_at: datetime
    state: HotlineState
    attempt: int
    forwarded_at: datetime
    sign_by: date
    #: ``sign_by`` of the first attempt (the metrics' on-time rule).
    first_sign_by: date
    signed_at: datetime | None = None
    signed_attempt: int | None = None
    resolve_by: date | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    return_reason: str | None = None
    feedback: Feedback | None = None
    callback_at: datetime | None = None
    reopens: int = 0
    extensions: tuple[Extension, ...] = ()
    history: tuple[HistoryEntry, ...] = ()

    def extension(self, extension_id: str) -> Extension:
        """The extension ``extension_id`` (``unknown-extension``)."""
        for ext in self.extensions:
            if ext.extension_id == extension_id:
                return ext
        raise NotFound(
            "unknown-extension", f"Request {self.request_id} has no extension {extension_id}."
        )

    @property
    def pending_extension(self) -> Extension | None:
        """The extension waiting for a decision, if any."""
        return next((e for e in self.extensions if e.state == "requested"), None)


@dataclass(frozen=True)
class Sign:
    """The receiving city signs for the request (签收) and owes a resolution by
    ``resolve_by``; ``attempt`` is the attempt signed (the current one unless the
    signature crossed a re-forward)."""

    at: datetime
    resolve_by: date
    attempt: int | None = None


@dataclass(frozen=True)
class Return:
    """The receiving city returns a wrongly routed request."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class Reforward:
    """The forwarding city forwards an unsigned request again, to be signed by
    ``sign_by``."""

    at: datetime
    sign_by: date


@dataclass(frozen=True)
class AskExtension:
    """The receiving city asks for ``working_days`` more."""

    at: datetime
    extension_id: str
    working_days: int
    reason: str


@dataclass(frozen=True)
class DecideExtension:
    """The forwarding city answers an extension; ``resolve_by`` is the deadline after it."""

    at: datetime
    extension_id: str
    approved: bool
    resolve_by: date
    reason: str | None = None


@dataclass(frozen=True)
class Resolve:
    """The receiving city resolved the request (办结)."""

    at: datetime
    resolution: str


@dataclass(frozen=True)
class Close:
    """The forwarding city's callback (回访) closes the request."""

    at: datetime
    feedback: Feedback


@dataclass(frozen=True)
class Reopen:
    """A poor callback reopens the request, to be resolved again by ``resolve_by``."""

    at: datetime
    feedback: Feedback
    resolve_by: date


HotlineStep = Sign | Return | Reforward | AskExtension | DecideExtension | Resolve | Close | Reopen

# The whole machine: (state, step) -> next state. Anything else is illegal.
TRANSITIONS: Final[dict[tuple[HotlineState, type[HotlineStep]], HotlineState]] = {
    ("forwarded", Sign): "signed",
    ("forwarded", Return): "returned",
    ("signed", Return): "returned",
    ("forwarded", Reforward): "forwarded",
    # A re-forward that crossed a signature or a return on the bus: the attempt is recorded.
    ("signed", Reforward): "signed",
    ("returned", Reforward): "returned",
    ("signed", AskExtension): "signed",
    ("reopened", AskExtension): "reopened",
    ("signed", DecideExtension): "signed",
    ("reopened", DecideExtension): "reopened",
    ("resolved", DecideExtension): "resolved",
    ("signed", Resolve): "resolved",
    ("reopened", Resolve): "resolved",
    ("resolved", Close): "closed",
    ("resolved", Reopen): "reopened",
}


def _detail(step: HotlineStep) -> tuple[str, str]:
    if isinstance(step, Sign):
        return "signed", f"signed; to be resolved by {step.resolve_by.isoformat()}"
    if isinstance(step, Return):
        return "returned", f"returned: {step.reason}"
    if isinstance(step, Reforward):
        return "reforwarded", f"forwarded again; to be signed by {step.sign_by.isoformat()}"
    if isinstance(step, AskExtension):
        return "extension-requested", f"{step.working_days} more working day(s) asked"
    if isinstance(step, DecideExtension):
        verdict = "approved" if step.approved else "refused"
        return (
            f"extension-{verdict}",
            f"extension {verdict}; to be resolved by {step.resolve_by.isoformat()}",
        )
    if isinstance(step, Resolve):
        return "resolved", "resolved"
    if isinstance(step, Close):
        return "closed", f"callback: {step.feedback}"
    return "reopened", f"callback: {step.feedback}; to be resolved by {step.resolve_by.isoformat()}"


def _changed(request: HotlineRequest, step: HotlineStep) -> HotlineRequest:
    if isinstance(step, Sign):
        signed = request.attempt if step.attempt is None else step.attempt
        return replace(
            request, signed_at=step.at, signed_attempt=signed, resolve_by=step.resolve_by
        )
    if isinstance(step, Return):
        return replace(request, return_reason=step.reason)
    if isinstance(step, Reforward):
        return replace(
            request, attempt=request.attempt + 1, forwarded_at=step.at, sign_by=step.sign_by
        )
    if isinstance(step, AskExtension):
        if any(e.extension_id == step.extension_id for e in request.extensions):
            raise Conflict("duplicate-extension", f"Extension {step.extension_id} was asked.")
        if request.pending_extension is not None:
            raise Conflict(
                "extension-pending",
                f"Request {request.request_id} already waits for a decision on extension "
                f"{request.pending_extension.extension_id}.",
            )
        ext = Extension(step.extension_id, step.working_days, step.reason, step.at)
        return replace(request, extensions=(*request.extensions, ext))
    if isinstance(step, DecideExtension):
        ext = request.extension(step.extension_id)
        if ext.state != "requested":
            raise Conflict(
                "extension-decided", f"Extension {step.extension_id} was already {ext.state}."
            )
        decided = replace(
            ext,
            state="approved" if step.approved else "refused",
            decided_at=step.at,
            decision_reason=step.reason,
            resolve_by=step.resolve_by,
        )
        return replace(
            request,
            extensions=tuple(decided if e is ext else e for e in request.extensions),
            resolve_by=step.resolve_by if step.approved else request.resolve_by,
        )
    if isinstance(step, Resolve):
        return replace(request, resolved_at=step.at, resolution=step.resolution)
    if isinstance(step, Close):
        return replace(request, feedback=step.feedback, callback_at=step.at)
    return replace(
        request,
        feedback=step.feedback,
        callback_at=step.at,
        reopens=request.reopens + 1,
        resolve_by=step.resolve_by,
    )


def apply(request: HotlineRequest, step: HotlineStep) -> HotlineRequest:
    """The request after ``step``; ``illegal-transition`` (409) when the machine forbids it
    (module docstring), ``duplicate-extension`` / ``extension-pending`` /
    ``unknown-extension`` / ``extension-decided`` for an extension that cannot be asked or
    decided."""
    target = TRANSITIONS.get((request.state, type(step)))
    if target is None:
        raise Conflict(
            "illegal-transition",
            f"Request {request.request_id} is {request.state}: it cannot take step "
            f"{type(step).__name__}.",
        )
    name, detail = _detail(step)
    changed = _changed(request, step)
    return replace(
        changed, state=target, history=(*request.history, HistoryEntry(name, step.at, detail))
    )


def waiting_for(request: HotlineRequest) -> tuple[DueStep, date] | None:
    """The receiving city's step the request waits for and its deadline (none once resolved,
    returned or closed)."""
    if request.state == "forwarded":
        return "sign", request.sign_by
    if request.state in ("signed", "reopened") and request.resolve_by is not None:
        return "resolve", request.resolve_by
    return None
