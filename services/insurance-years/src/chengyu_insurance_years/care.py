"""Long-term-care disability assessments (长护险评估结论) and their recognition by the other city.

One city concludes an assessment; the other recognises it when its policy in force on the
recognition date recognises the level and accepts the scale, and the assessment is valid on
that date. The action plan extends recognition from severe to moderate disability; in the
policy data that is a policy version, effective on its date, that adds ``moderate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chengyu_contracts.cities import CITIES, CITY_NAMES, City
from chengyu_contracts.domain_error import DomainError

from .policy import LEVELS, DisabilityLevel, PolicyBook


@dataclass(frozen=True)
class CareAssessment:
    """A disability assessment concluded in ``city``, valid from ``concluded_on`` through
    ``valid_until`` (both days included).

    Invariants, for every instance (also one rebuilt from the other city's event): ids and
    scale present, a known city and level, ``valid_until`` not before ``concluded_on``.
    """

    assessment_id: str
    person_ref: str
    city: City
    level: DisabilityLevel
    scale_version: str
    concluded_on: date
    valid_until: date

    def __post_init__(self) -> None:
        if not self.assessment_id:
            raise DomainError("invalid-assessment-id", "An assessment needs an assessment_id.")
        if not self.person_ref:
            raise DomainError("invalid-person-ref", "An assessment needs a person_ref.")
        if self.city not in CITIES:
            raise DomainError("unknown-city", "A city is cq (Chongqing) or cd (Chengdu).")
        if self.level not in LEVELS:
            raise DomainError("unknown-level", "A disability level is severe, moderate or mild.")
        if not self.scale_version:
            raise DomainError(
                "invalid-scale-version", "An assessment names the scale (and version) used."
            )
        if self.valid_until < self.concluded_on:
            raise DomainError(
                "valid-until-before-concluded",
                f"An assessment concluded on {self.concluded_on.isoformat()} cannot expire "
                f"before that, on {self.valid_until.isoformat()}.",
            )

    def valid_on(self, day: date) -> bool:
        """Whether the assessment holds on ``day`` (from its conclusion through its last day)."""
        return self.concluded_on <= day <= self.valid_until


def record_assessment(assessment: CareAssessment, today: date) -> CareAssessment:
    """``assessment``, concluded in its city, recorded there on day ``today``.

    Refusals: those of :class:`CareAssessment` when it is built
    (``invalid-assessment-id``, ``invalid-person-ref``, ``unknown-city``,
    ``unknown-level``, ``invalid-scale-version``, ``valid-until-before-concluded``), then
    ``concluded-in-future`` (a conclusion dated after ``today``).
    """
    if assessment.concluded_on > today:
        raise DomainError(
            "concluded-in-future",
            f"An assessment cannot be concluded after today ({today.isoformat()}).",
        )
    return assessment


@dataclass(frozen=True)
class Recognition:
    """``recognising_city`` recognises the other city's assessment from ``recognised_on``
    until the assessment's ``valid_until``."""

    assessment_id: str
    person_ref: str
    assessing_city: City
    recognising_city: City
    level: DisabilityLevel
    recognised_on: date
    valid_until: date
    policy_effective_from: date


@dataclass(frozen=True)
class RecognitionRefusal:
    """``recognising_city`` does not recognise the assessment on ``on``, and why.

    Codes: ``not-yet-concluded``, ``assessment-expired``, ``level-not-recognised``,
    ``scale-not-accepted`` (the first that applies, in that order).
    """

    assessment_id: str
    person_ref: str
    assessing_city: City
    recognising_city: City
    level: DisabilityLevel
    on: date
    code: str
    sentence: str


CareDecision = Recognition | RecognitionRefusal


def _level_refusal(level: DisabilityLevel, by: City, on: date, book: PolicyBook) -> str:
    name = CITY_NAMES[by]
    later = next((p for p in book.later_policies(by, on) if level in p.ltc_recognised_levels), None)
    if later is not None:
        return (
            f"{name} recognises {level} disability assessments of the other city only from "
            f"{later.effective_from.isoformat()} on, not on {on.isoformat()}."
        )
    return f"{name} does not recognise {level} disability assessments of the other city."


def recognise(assessment: CareAssessment, by: City, on: date, book: PolicyBook) -> CareDecision:
    """Whether ``by`` recognises ``assessment`` (made in the other city) on day ``on``.

    Decided by ``by``'s policy in force on ``on``: the assessment must be valid that day
    (``not-yet-concluded`` before its conclusion, ``assessment-expired`` after its last valid
    day; the last day itself is still valid), its level recognised (so ``moderate`` only
    from the effective date of the policy that added it) and its scale accepted. Raises
    ``same-city`` for a city's own assessment (it needs no recognition) and
    ``no-policy-in-force`` when ``by`` has no policy that day.
    """
    if by == assessment.city:
        raise DomainError(
            "same-city",
            f"An assessment made in {CITY_NAMES[by]} needs no recognition by {CITY_NAMES[by]}.",
        )
    policy = book.policy_for(by, on)

    def refused(code: str, sentence: str) -> RecognitionRefusal:
        return RecognitionRefusal(
            assessment_id=assessment.assessment_id,
            person_ref=assessment.person_ref,
            assessing_city=assessment.city,
            recognising_city=by,
            level=assessment.level,
            on=on,
            code=code,
            sentence=sentence,
        )

    if on < assessment.concluded_on:
        return refused(
            "not-yet-concluded",
            f"The assessment is concluded on {assessment.concluded_on.isoformat()}, after "
            f"{on.isoformat()}.",
        )
    if on > assessment.valid_until:
        return refused(
            "assessment-expired",
            f"The assessment was valid until {assessment.valid_until.isoformat()}; it has "
            f"expired by {on.isoformat()}.",
        )
    if assessment.level not in policy.ltc_recognised_levels:
        return refused("level-not-recognised", _level_refusal(assessment.level, by, on, book))
    if assessment.scale_version not in policy.ltc_accepted_scales:
        return refused(
            "scale-not-accepted",
            f"{CITY_NAMES[by]} does not accept assessments on scale "
            f"{assessment.scale_version!r}; it accepts "
            f"{', '.join(sorted(policy.ltc_accepted_scales))}.",
        )
    return Recognition(
        assessment_id=assessment.assessment_id,
        person_ref=assessment.person_ref,
        assessing_city=assessment.city,
        recognising_city=by,
        level=assessment.level,
        recognised_on=on,
        valid_until=assessment.valid_until,
        policy_effective_from=policy.effective_from,
    )
