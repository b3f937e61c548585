"""Review of a retirement determination when history changes after it (never ignored).

A period corrected, cancelled or recorded late, in either city, may alter the figures a
retirement city was determined on. The determination stands; a clerk is told to look.
"""

from __future__ import annotations

from dataclasses import dataclass

from chengyu_contracts.cities import CITY_NAMES, City

from .ledger import Ledger, apply
from .periods import ContributionPeriod
from .policy import PolicyBook
from .retirement import Figures, RetirementDetermination, figures_for, shortfall_text, shortfalls


@dataclass(frozen=True)
class ReviewFlag:
    """A determination whose figures a later change of history altered; a clerk reviews it.

    Codes: ``determination-no-longer-met`` (the determined city would now refuse) and
    ``determination-figures-changed`` (it would still determine, on other figures).
    """

    person_ref: str
    city: City
    period_id: str
    code: str
    sentence: str
    figures_before: Figures
    figures_after: Figures


def _determined_figures(
    determination: RetirementDetermination, ledger: Ledger, book: PolicyBook
) -> Figures:
    return figures_for(
        ledger, determination.sex, determination.city, determination.retirement_date, book
    )


def review_after_correction(
    determination: RetirementDetermination,
    ledger: Ledger,
    change: ContributionPeriod,
    book: PolicyBook,
) -> ReviewFlag | None:
    """Whether ``change`` (a corrected, cancelled or newly recorded period, from either city)
    arriving after ``determination`` calls for a review.

    ``ledger`` is the person's ledger before the change. The determination rests only on its
    figures (the determined city's, up to the retirement month), so the answer is ``None``
    when the change leaves them as they were: a duplicate or stale version, months after the
    retirement month, or months already counted through the other city. Otherwise a
    :class:`ReviewFlag` with the figures just before and just after the change. The
    determination itself is never undone here: taking a retirement city back is a clerk's
    decision with consequences outside these figures.
    """
    if ledger.person_ref != determination.person_ref:
        raise ValueError("the ledger is of another person than the determination")
    after_ledger = apply(ledger, change)
    if after_ledger == ledger:
        return None
    # The change's own effect, not the distance from the determined figures: an earlier
    # change was flagged when it arrived, and flagging it again with every later one
    # would bury the review that matters.
    before = _determined_figures(determination, ledger, book)
    after = _determined_figures(determination, after_ledger, book)
    if after == before:
        return None
    city_name = CITY_NAMES[determination.city]
    missing = shortfalls(after)
    if missing:
        code = "determination-no-longer-met"
        sentence = (
            f"A change to period {change.period_id} means {city_name} would no longer "
            f"determine this retirement: {'; '.join(shortfall_text(s) for s in missing)}."
        )
    else:
        code = "determination-figures-changed"
        sentence = (
            f"A change to period {change.period_id} changes the figures of the {city_name} "
            f"determination (cumulative months {before.cumulative_months} -> "
            f"{after.cumulative_months}, actual months in {city_name} "
            f"{before.actual_months_in_city} -> {after.actual_months_in_city}); "
            f"it still meets the requirements."
        )
    return ReviewFlag(
        person_ref=determination.person_ref,
        city=determination.city,
        period_id=change.period_id,
        code=code,
        sentence=sentence,
        figures_before=before,
        figures_after=after,
    )
