"""Money as integer fen (分): never floats, so nothing is lost to rounding."""

from __future__ import annotations

from typing import NewType

from chengyu_contracts.domain_error import DomainError

Fen = NewType("Fen", int)


def fen(value: object) -> Fen:
    """Return ``value`` as an amount in fen, refusing anything that is not a plain integer.

    Floats are refused even when whole (``100.0``): a float reaching the domain means some
    layer computed money in binary fractions. ``bool`` is an ``int`` in Python; refused too.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(
            "invalid-amount",
            f"An amount must be a whole number of fen, not a {type(value).__name__}.",
        )
    return Fen(value)


def non_negative_fen(value: object) -> Fen:
    """Return ``value`` as fen, refusing negatives (balances, transferred sums)."""
    amount = fen(value)
    if amount < 0:
        raise DomainError("negative-amount", "An amount of money cannot be negative.")
    return amount


def positive_fen(value: object) -> Fen:
    """Return ``value`` as fen, refusing zero and negatives (deposits)."""
    amount = non_negative_fen(value)
    if amount == 0:
        raise DomainError("zero-amount", "A deposit must be more than zero fen.")
    return amount


def yuan_text(amount: int) -> str:
    """Format fen as yuan for sentences, e.g. ``1234567`` -> ``"12,345.67 yuan"``."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole:,}.{cents:02d} yuan"
