"""Withdrawals (提取) from a provident-fund account: the rules of each kind, and one
withdrawal as an explicit state machine.

::

    assess_withdrawal ──refused──► nothing written (the Decision names every failed rule)
        │ allowed
        └─ request_withdrawal ─► applied ──Pay─────────► paid     apply_withdrawal: balance
                                   │                               reduced (retirement: to 0,
                                   │                               the account closed), hold freed
                                   └──Refuse(reason)──► refused    release_withdrawal: hold freed

``applied`` holds the account (``Account.withdrawal_id``) while the clerk checks the
proofs: no transfer may freeze it (``withdrawal-pending``) and no second withdrawal is
applied for; a ``transferring`` account takes no withdrawal (``account-transferring``).
``paid`` and ``refused`` are ends.

Rights carried across cities (无差别接续): the account's deposits keep their city of
origin, and months brought over by a transfer count exactly like months paid here.
Pure: the day is in the application, the instant is passed in, the policy is the account
city's policy in force on the application day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    RefusalKind,
)
from chengyu_contracts.months import Month, month_range, months_between
from chengyu_contracts.personal_text import refuse_personal_data

from .account import Account, AccountStatus, status_refusal, withdrawal_pending
from .eligibility import RuleResult, consecutive_months_up_to
from .loan import Loan, outstanding_at
from .money import Fen, non_negative_fen, positive_fen, yuan_text
from .policy import WITHDRAWAL_KINDS, CityPolicy, WithdrawalKind, WithdrawalRule
from .transfer import Reason

__all__ = [
    "TERMINAL_STATES",
    "TRANSITIONS",
    "Application",
    "Decision",
    "HistoryEntry",
    "Pay",
    "Proof",
    "Purchase",
    "Refusal",
    "Refuse",
    "Withdrawal",
    "WithdrawalKind",
    "WithdrawalState",
    "WithdrawalStep",
    "apply_withdrawal",
    "assess_withdrawal",
    "decide",
    "release_withdrawal",
    "request_withdrawal",
]

WithdrawalState = Literal["applied", "paid", "refused"]
TERMINAL_STATES: frozenset[WithdrawalState] = frozenset({"paid", "refused"})

_MAX_REFERENCE = 100


# --- the application ---------------------------------------------------------------------


def _invalid_application(sentence: str) -> DomainError:
    return DomainError("invalid-application", sentence)


@dataclass(frozen=True)
class Proof:
    """A proof the applicant showed: its kind (``rental-contract``) and a reference to the
    document kept elsewhere (a file number), never personal data."""

    kind: str
    reference: str

    def __post_init__(self) -> None:
        if not self.kind.strip():
            raise _invalid_application("A proof names its kind.")
        if not self.reference.strip() or len(self.reference) > _MAX_REFERENCE:
            raise _invalid_application(
                f"A proof reference is 1 to {_MAX_REFERENCE} characters, e.g. a file number."
            )
        refuse_personal_data("A proof reference", self.reference)


@dataclass(frozen=True)
class Purchase:
    """The home purchase a purchase withdrawal is against: the price paid and its day.

    Two withdrawals are against the same purchase when their purchases are equal."""

    price_fen: int
    day: date

    def __post_init__(self) -> None:
        positive_fen(self.price_fen)


@dataclass(frozen=True)
class Application:
    """What the person applies for: the kind, the amount (``None`` for retirement, which
    takes the whole balance), the proofs, the application day, the purchase (purchase
    withdrawals) and the confirmed loan (loan-repayment withdrawals).

    ``loan`` is the loan as confirmed: this city's own record, or the other city's signed
    answer to a query; ``None`` when there is neither (no loan, no answer yet).
    Structural mistakes are refused here with ``invalid-application``.
    """

    kind: WithdrawalKind
    amount_fen: int | None
    proofs: tuple[Proof, ...]
    day: date
    purchase: Purchase | None = None
    loan: Loan | None = None

    def __post_init__(self) -> None:
        if self.kind not in WITHDRAWAL_KINDS:
            raise DomainError(
                "unknown-withdrawal-kind",
                f"A withdrawal kind is one of {', '.join(WITHDRAWAL_KINDS)}.",
            )
        if self.kind == "retirement":
            if self.amount_fen is not None:
                raise _invalid_application(
                    "A retirement withdrawal takes the whole balance; it names no amount."
                )
        elif self.amount_fen is None:
            raise _invalid_application(f"A {self.kind} withdrawal names an amount.")
        else:
            object.__setattr__(self, "amount_fen", positive_fen(self.amount_fen))
        if self.kind == "purchase":
            if self.purchase is None:
                raise _invalid_application(
                    "A purchase withdrawal names the purchase: its price and day."
                )
            if self.purchase.day > self.day:
                raise _invalid_application("The purchase is after the application day.")
        object.__setattr__(self, "proofs", tuple(self.proofs))

    @property
    def month(self) -> Month:
        """The application's month."""
        return Month.of(self.day)


# --- the decision ------------------------------------------------------------------------

_ERROR_TYPES: dict[RefusalKind, type[DomainError]] = {
    RefusalKind.INVALID: DomainError,
    RefusalKind.NOT_FOUND: NotFound,
    RefusalKind.CONFLICT: Conflict,
    RefusalKind.FORBIDDEN: Forbidden,
}


@dataclass(frozen=True)
class Refusal:
    """One failed rule as a refusal: its stable code, its sentence, its kind (what HTTP
    status the edge gives it)."""

    code: str
    sentence: str
    kind: RefusalKind = RefusalKind.INVALID

    @classmethod
    def of(cls, error: DomainError) -> Refusal:
        """The refusal carried by a domain error, keeping its kind."""
        return cls(error.code, error.sentence, error.kind)

    def error(self) -> DomainError:
        """This refusal as a :class:`DomainError` of its kind."""
        return _ERROR_TYPES[self.kind](self.code, self.sentence)


@dataclass(frozen=True)
class Decision:
    """The answer to an application, with every rule checked and its figures.

    ``amount_fen`` is what would be paid (the amount asked, or the whole balance for
    retirement); 0 when refused. ``refusals`` holds one refusal per failed rule, in the
    order of ``rules``.
    """

    city: City
    person_ref: str
    application: Application
    amount_fen: Fen
    rules: tuple[RuleResult, ...]
    refusals: tuple[Refusal, ...]

    @property
    def allowed(self) -> bool:
        """Whether every rule passed."""
        return not self.refusals

    @property
    def codes(self) -> tuple[str, ...]:
        """The refusal codes, in rule order."""
        return tuple(r.code for r in self.refusals)

    def raise_if_refused(self) -> None:
        """Raise the first refusal (with its kind) when the decision is a refusal."""
        if self.refusals:
            raise self.refusals[0].error()


_Checked = tuple[RuleResult, Refusal | None]


def _check(rule: str, passed: bool, detail: str, refusal: Refusal) -> _Checked:
    return RuleResult(rule=rule, passed=passed, detail=detail), None if passed else refusal


def _plus_months(day: date, months: int) -> date:
    # The same day of the month ``months`` later, or that month's last day if it is shorter.
    target = Month.of(day).plus(months)
    last = calendar.monthrange(target.year, target.month)[1]
    return date(target.year, target.month, min(day.day, last))


def _counted(earlier: Iterable[Withdrawal], kind: WithdrawalKind) -> list[Withdrawal]:
    # Refused withdrawals moved no money; applied and paid ones count against caps and
    # frequency.
    return [w for w in earlier if w.kind == kind and w.state != "refused"]


def _status_check(account: Account, rule: WithdrawalRule | None, kind: str) -> _Checked:
    allowed: tuple[AccountStatus, ...] = (
        ("active", "sealed") if rule is not None and rule.allowed_when_sealed else ("active",)
    )
    refusal = status_refusal(account, *allowed)
    return (
        RuleResult(
            rule="account-status",
            passed=refusal is None,
            detail=f"account {account.status}; {kind} withdrawals need: {' or '.join(allowed)}",
        ),
        None if refusal is None else Refusal.of(refusal),
    )


def _pending_check(account: Account) -> _Checked:
    pending = withdrawal_pending()
    return _check(
        "no-withdrawal-pending",
        account.withdrawal_id is None,
        "no other withdrawal being decided"
        if account.withdrawal_id is None
        else f"withdrawal {account.withdrawal_id} is being decided",
        Refusal.of(pending),
    )


def _in_force_check(application: Application, policy: CityPolicy) -> _Checked:
    kind, city = application.kind, CITY_NAMES[policy.city]
    in_force = kind in policy.withdrawals
    return _check(
        "kind-in-force",
        in_force,
        f"{kind} withdrawals {'are' if in_force else 'are not'} in force in {city} on "
        f"{application.day.isoformat()} (policy of {policy.effective_from.isoformat()})",
        Refusal(
            "withdrawal-kind-not-in-force",
            f"{city} offers no {kind} withdrawal on {application.day.isoformat()}.",
        ),
    )


def _months_check(account: Account, application: Application, rule: WithdrawalRule) -> _Checked:
    before = application.month.previous()
    run = consecutive_months_up_to(account.months, before)
    needed = rule.min_consecutive_months
    run_months = set(month_range(before.plus(1 - run), before)) if run else set()
    by_city = {
        city: sum(1 for d in account.deposits if d.month in run_months and d.city == city)
        for city in CITY_NAMES
    }
    return _check(
        "consecutive-months",
        run >= needed,
        f"consecutive months of deposits up to {before}: {run} (needs {needed}); "
        f"of them cq {by_city['cq']}, cd {by_city['cd']}",
        Refusal(
            "too-few-months",
            f"{application.kind} withdrawals need {needed} consecutive months of deposits "
            f"before {application.month}; the account has {run}.",
        ),
    )


def _proof_check(application: Application, rule: WithdrawalRule) -> _Checked:
    given = {p.kind for p in application.proofs}
    missing = sorted(rule.required_proofs - given)
    return _check(
        "proofs",
        not missing,
        f"proofs needed: {', '.join(sorted(rule.required_proofs)) or 'none'}; "
        f"missing: {', '.join(missing) or 'none'}",
        Refusal("proof-missing", f"The application lacks: {', '.join(missing)}."),
    )


def _balance_check(account: Account, amount: Fen) -> _Checked:
    balance = account.balance_fen
    return _check(
        "balance",
        amount <= balance,
        f"amount {amount} fen, balance {balance} fen",
        Refusal(
            "amount-above-balance",
            f"{yuan_text(amount)} is above the balance of {yuan_text(balance)}.",
        ),
    )


def _cap_check(rule_name: str, what: str, earlier: int, amount: Fen, cap: int) -> _Checked:
    return _check(
        rule_name,
        earlier + amount <= cap,
        f"{what}: {earlier} fen before + {amount} fen = {earlier + amount} fen (cap {cap} fen)",
        Refusal(
            "amount-above-cap",
            f"{what}: {yuan_text(earlier + amount)} would pass the cap of {yuan_text(cap)}.",
        ),
    )


def _cap_checks(
    application: Application, rule: WithdrawalRule, earlier: list[Withdrawal], amount: Fen
) -> list[_Checked]:
    kind, month = application.kind, application.month
    checks: list[_Checked] = []
    if rule.monthly_cap_fen is not None:
        this_month = sum(w.amount_fen for w in earlier if w.month == month)
        checks.append(
            _cap_check(
                "monthly-cap",
                f"{kind} withdrawn in {month}",
                this_month,
                amount,
                rule.monthly_cap_fen,
            )
        )
    if rule.yearly_cap_fen is not None:
        this_year = sum(w.amount_fen for w in earlier if w.month.year == month.year)
        checks.append(
            _cap_check(
                "yearly-cap",
                f"{kind} withdrawn in {month.year}",
                this_year,
                amount,
                rule.yearly_cap_fen,
            )
        )
    share = rule.purchase_price_share_percent
    if kind == "purchase" and share is not None and application.purchase is not None:
        purchase = application.purchase
        against = sum(w.amount_fen for w in earlier if w.application.purchase == purchase)
        cap = purchase.price_fen * share // 100
        checks.append(
            _cap_check(
                "purchase-cap",
                f"withdrawn against the purchase of {purchase.day.isoformat()} "
                f"({share}% of {purchase.price_fen} fen)",
                against,
                amount,
                cap,
            )
        )
    if kind == "loan-repayment" and application.loan is not None:
        owed = outstanding_at(application.loan, month)
        checks.append(
            _cap_check(
                "loan-outstanding-cap",
                f"repaying loan {application.loan.loan_id} (outstanding at {month})",
                0,
                amount,
                owed,
            )
        )
    return checks


def _frequency_check(
    application: Application, rule: WithdrawalRule, earlier: list[Withdrawal]
) -> _Checked | None:
    every = rule.min_months_between
    if every is None:
        return None
    month = application.month
    last = max((w.month for w in earlier), default=None)
    since = None if last is None else months_between(last, month)
    return _check(
        "frequency",
        since is None or since >= every,
        f"at most one {application.kind} withdrawal every {every} months; "
        + ("none before" if last is None else f"the last in {last}, {since} months before"),
        Refusal(
            "too-soon-since-last",
            f"The last {application.kind} withdrawal was in {last}; the next may be applied "
            f"for from {last.plus(every) if last is not None else month}.",
        ),
    )


def _purchase_age_check(application: Application, rule: WithdrawalRule) -> _Checked | None:
    within, purchase = rule.purchase_within_months, application.purchase
    if application.kind != "purchase" or within is None or purchase is None:
        return None
    last_day = _plus_months(purchase.day, within)
    return _check(
        "purchase-within",
        application.day <= last_day,
        f"purchase of {purchase.day.isoformat()}: applications until {last_day.isoformat()} "
        f"({within} months); applied {application.day.isoformat()}",
        Refusal(
            "purchase-too-old",
            f"A purchase withdrawal is applied for within {within} months of the purchase; "
            f"the last day was {last_day.isoformat()}.",
        ),
    )


def _loan_check(account: Account, application: Application) -> _Checked | None:
    if application.kind != "loan-repayment":
        return None
    loan = application.loan
    confirmed = loan is not None and loan.person_ref == account.person_ref
    return _check(
        "loan-confirmed",
        confirmed,
        "no loan confirmed by the lending city's record or signed answer"
        if loan is None
        else f"{CITY_NAMES[loan.city]} loan {loan.loan_id} "
        + ("confirmed for this person" if confirmed else "belongs to another person"),
        Refusal(
            "loan-not-confirmed",
            "A repayment withdrawal needs the loan confirmed by the city that lent it.",
        ),
    )


def assess_withdrawal(
    account: Account,
    earlier_withdrawals: Iterable[Withdrawal],
    application: Application,
    policy: CityPolicy,
) -> Decision:
    """Whether ``application`` may be paid from ``account``, with every rule and its figures.

    ``policy`` is the account city's policy in force on the application day;
    ``earlier_withdrawals`` are the person's earlier withdrawals (refused ones are ignored).
    Rules, in order, each with its refusal code:

    - ``account-status``: active (or sealed, where the kind allows it):
      ``account-sealed`` / ``account-transferring`` / ``account-closed``;
    - ``no-withdrawal-pending``: no other withdrawal holds the account: ``withdrawal-pending``;
    - ``kind-in-force``: ``withdrawal-kind-not-in-force`` (then no other rule is checked);
    - ``consecutive-months``: deposit months from either city, unbroken up to the month
      before the application month: ``too-few-months``;
    - ``proofs``: every proof kind the rule requires: ``proof-missing``;
    - ``balance``: ``amount-above-balance``;
    - ``monthly-cap`` / ``yearly-cap`` (this kind, the calendar month / year, this one
      included), ``purchase-cap`` (this purchase), ``loan-outstanding-cap`` (the principal
      outstanding): ``amount-above-cap``;
    - ``frequency``: months since the last of this kind: ``too-soon-since-last``;
    - ``purchase-within``: ``purchase-too-old``;
    - ``loan-confirmed``: ``loan-not-confirmed``.
    """
    if policy.city != account.city:
        raise ValueError(f"a {policy.city} policy cannot judge a {account.city} account")
    rule = policy.withdrawals.get(application.kind)
    checks: list[_Checked | None] = [
        _status_check(account, rule, application.kind),
        _pending_check(account),
        _in_force_check(application, policy),
    ]
    amount = Fen(0)
    if rule is not None:
        asked = application.amount_fen
        amount = account.balance_fen if asked is None else Fen(asked)
        earlier = _counted(earlier_withdrawals, application.kind)
        checks += [
            _months_check(account, application, rule),
            _proof_check(application, rule),
            _balance_check(account, amount),
            *_cap_checks(application, rule, earlier, amount),
            _frequency_check(application, rule, earlier),
            _purchase_age_check(application, rule),
            _loan_check(account, application),
        ]
    done = [c for c in checks if c is not None]
    refusals = tuple(r for _, r in done if r is not None)
    return Decision(
        city=account.city,
        person_ref=account.person_ref,
        application=application,
        # No withdrawal, no amount: a figure next to "refused" would mislead.
        amount_fen=Fen(0) if refusals else amount,
        rules=tuple(result for result, _ in done),
        refusals=refusals,
    )


# --- one withdrawal as a state machine ---------------------------------------------------


@dataclass(frozen=True)
class Pay:
    """The clerk checked the proofs; the amount is paid out."""


@dataclass(frozen=True)
class Refuse:
    """The clerk refused the withdrawal after applying (e.g. a proof did not hold)."""

    reason: Reason


WithdrawalStep = Pay | Refuse

# The whole machine: (state, step) -> next state. Anything else is illegal.
TRANSITIONS: dict[tuple[WithdrawalState, type[WithdrawalStep]], WithdrawalState] = {
    ("applied", Pay): "paid",
    ("applied", Refuse): "refused",
}


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a withdrawal's history: the state reached, when, and what happened."""

    state: WithdrawalState
    at: datetime
    detail: str


@dataclass(frozen=True)
class Withdrawal:
    """One withdrawal from one person's account in ``city``.

    ``amount_fen`` is fixed when applied for (for retirement, the whole balance then).
    """

    withdrawal_id: str
    person_ref: str
    city: City
    application: Application
    amount_fen: Fen
    state: WithdrawalState
    applied_at: datetime
    history: tuple[HistoryEntry, ...]
    reason: Reason | None = None

    @property
    def kind(self) -> WithdrawalKind:
        """The kind applied for."""
        return self.application.kind

    @property
    def month(self) -> Month:
        """The application month (what caps and frequency count by)."""
        return self.application.month


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("withdrawal times must be timezone-aware")
    return now


def _same_account(account: Account, person_ref: str, city: City) -> None:
    # Another person's or city's withdrawal reaching an account is a wiring bug.
    if (account.person_ref, account.city) != (person_ref, city):
        raise ValueError("the withdrawal is not for this account")


def request_withdrawal(
    withdrawal_id: str, account: Account, decision: Decision, now: datetime
) -> tuple[Account, Withdrawal]:
    """An ``applied`` withdrawal of an allowed ``decision``, and the account it now holds.

    A refused decision raises its first refusal. The account is checked again for what may
    have changed since the decision: ``account-transferring`` / ``account-closed`` and
    ``withdrawal-pending``.
    """
    _same_account(account, decision.person_ref, decision.city)
    at = _aware(now)
    if not withdrawal_id:
        raise ValueError("a withdrawal needs an id")
    decision.raise_if_refused()
    blocked = status_refusal(account, "active", "sealed")
    if blocked is not None:
        raise blocked
    if account.withdrawal_id is not None:
        raise withdrawal_pending()
    application = decision.application
    withdrawal = Withdrawal(
        withdrawal_id=withdrawal_id,
        person_ref=account.person_ref,
        city=account.city,
        application=application,
        amount_fen=decision.amount_fen,
        state="applied",
        applied_at=at,
        history=(
            HistoryEntry(
                "applied",
                at,
                f"{application.kind}: {yuan_text(decision.amount_fen)} applied for in "
                f"{CITY_NAMES[account.city]}",
            ),
        ),
    )
    return replace(account, withdrawal_id=withdrawal_id), withdrawal


def _detail(step: WithdrawalStep, withdrawal: Withdrawal) -> str:
    if isinstance(step, Refuse):
        return f"{step.reason.code}: {step.reason.sentence}"
    return f"paid {yuan_text(withdrawal.amount_fen)}"


def decide(withdrawal: Withdrawal, step: WithdrawalStep, now: datetime) -> Withdrawal:
    """The withdrawal after ``step`` at ``now``; ``illegal-transition`` (a conflict) when
    the machine forbids it: any step after ``paid`` or ``refused``."""
    at = _aware(now)
    target = TRANSITIONS.get((withdrawal.state, type(step)))
    if target is None:
        raise Conflict(
            "illegal-transition",
            f"A withdrawal in state {withdrawal.state} cannot take step {type(step).__name__}.",
        )
    changed = replace(
        withdrawal,
        state=target,
        history=(*withdrawal.history, HistoryEntry(target, at, _detail(step, withdrawal))),
    )
    return replace(changed, reason=step.reason) if isinstance(step, Refuse) else changed


def _held_by(account: Account, withdrawal: Withdrawal, state: WithdrawalState) -> None:
    _same_account(account, withdrawal.person_ref, withdrawal.city)
    if withdrawal.state != state:
        raise Conflict(
            f"withdrawal-not-{state}",
            f"Withdrawal {withdrawal.withdrawal_id} is {withdrawal.state}, not {state}.",
        )
    if account.withdrawal_id != withdrawal.withdrawal_id:
        raise Conflict(
            "not-held-by-withdrawal",
            f"The account is not held by withdrawal {withdrawal.withdrawal_id}.",
        )


def apply_withdrawal(account: Account, withdrawal: Withdrawal) -> Account:
    """The account after the ``paid`` ``withdrawal``: the balance reduced by its amount (in
    whole fen, never below zero) and the hold freed; retirement empties and closes it.

    Refusals: ``withdrawal-not-paid``, ``not-held-by-withdrawal`` (also when applied
    twice: the first application freed the hold), ``amount-above-balance``, and
    ``balance-changed`` when a retirement's amount is no longer the whole balance.
    """
    _held_by(account, withdrawal, "paid")
    amount = non_negative_fen(withdrawal.amount_fen)
    balance = account.balance_fen
    if withdrawal.kind == "retirement":
        if amount != balance:
            raise Conflict(
                "balance-changed",
                f"The balance is {yuan_text(balance)}, not the {yuan_text(amount)} decided; "
                "a retirement withdrawal takes the whole balance.",
            )
        return replace(account, balance_fen=Fen(0), status="closed", withdrawal_id=None)
    if amount > balance:
        raise DomainError(
            "amount-above-balance",
            f"{yuan_text(amount)} is above the balance of {yuan_text(balance)}.",
        )
    return replace(account, balance_fen=Fen(balance - amount), withdrawal_id=None)


def release_withdrawal(account: Account, withdrawal: Withdrawal) -> Account:
    """The account freed from the ``refused`` ``withdrawal``'s hold, its balance untouched.

    Refusals: ``withdrawal-not-refused``, ``not-held-by-withdrawal``."""
    _held_by(account, withdrawal, "refused")
    return replace(account, withdrawal_id=None)
