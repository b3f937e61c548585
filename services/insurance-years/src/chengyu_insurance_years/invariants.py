"""What must hold across both cities' medical-insurance years, recomputed from the events
alone (the audit's interface: ``chengyu_contracts.invariants``).

- ``insurance-years.ledger-rebuilds``: every person's ledger can be rebuilt from
  ``medins.contribution`` with the service's own rule (:func:`.ledger.apply`: the highest
  version of a period wins); two versions of a period that disagree (same number, other
  content; or another city) are named where the second was written. The ledgers rebuilt
  are kept (:meth:`LedgerRebuilds.ledgers`), so a test can compare them with what each
  city's API answers.
- ``insurance-years.one-retirement-city``: a person has at most one retirement city
  (one ``retirement-city-determined``), each claim is decided at most once, and every
  refusal that names the city already determined names that one.
- ``insurance-years.decision-answers-claim``: every decision (determined or refused)
  answers a ``retirement-city-claimed`` on the log and is taken, and signed, by the city
  that claim chose: the other city cannot decide for it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.medins import (
    ContributionYearsAccrued,
    RetirementCityClaimed,
    RetirementCityDetermined,
    RetirementCityRefused,
)
from chengyu_contracts.invariants import (
    Coordinates,
    FirstSight,
    Invariant,
    LoggedEvent,
    Violation,
)

from .ledger import Ledger, apply
from .wire import period_from_event

__all__ = ["DecisionAnswersClaim", "LedgerRebuilds", "OneRetirementCity", "invariants"]


class LedgerRebuilds:
    """Every person's ledger rebuilds from the contribution periods on the log."""

    name = "insurance-years.ledger-rebuilds"
    description = (
        "Every person's contribution ledger rebuilds from the periods on the log: the "
        "versions of each period agree (a higher version replaces, an equal one repeats)."
    )

    def __init__(self) -> None:
        self._ledgers: dict[str, Ledger] = {}
        self._found: list[Violation] = []

    def observe(self, event: LoggedEvent) -> None:
        """Apply each period version to its person's ledger, as both cities do."""
        data = event.data
        if not isinstance(data, ContributionYearsAccrued):
            return
        person = data.person_ref
        ledger = self._ledgers.get(person) or Ledger(person)
        try:
            self._ledgers[person] = apply(ledger, period_from_event(data))
        except DomainError as conflict:
            self._found.append(Violation(self.name, conflict.sentence, event.at, person))

    def violations(self, now: datetime) -> list[Violation]:
        """Every version that disagreed with one already on the log."""
        return list(self._found)

    def ledgers(self) -> dict[str, Ledger]:
        """Each person's ledger as rebuilt from the log."""
        return dict(self._ledgers)


class OneRetirementCity:
    """One retirement city per person; each claim decided once."""

    name = "insurance-years.one-retirement-city"
    description = (
        "A person has at most one retirement city, each retirement claim is decided at most "
        "once, and a refusal naming the city already determined names the right one."
    )

    def __init__(self) -> None:
        self._sight = FirstSight()
        self._determined: dict[str, tuple[str, Coordinates]] = {}
        self._decided: dict[str, Coordinates] = {}
        self._named: dict[str, list[tuple[str, Coordinates]]] = defaultdict(list)
        self._found: list[Violation] = []

    def observe(self, event: LoggedEvent) -> None:
        """Note each decision; a second determination or decision is a violation."""
        data = event.data
        if not isinstance(data, RetirementCityDetermined | RetirementCityRefused):
            return
        if not self._sight.first(event):
            return
        person = data.person_ref
        if data.request_id in self._decided:
            self._flag(event, f"claim {data.request_id} is decided a second time", person)
        self._decided[data.request_id] = event.at
        if isinstance(data, RetirementCityDetermined):
            if person in self._determined:
                first_city, _ = self._determined[person]
                self._flag(
                    event,
                    f"a second retirement city ({data.city}) after {first_city}",
                    person,
                )
            else:
                self._determined[person] = (data.city, event.at)
        elif data.determined_city is not None:
            self._named[person].append((data.determined_city, event.at))

    def violations(self, now: datetime) -> list[Violation]:
        """Second determinations and decisions, and refusals naming another city."""
        found = list(self._found)
        for person, named in sorted(self._named.items()):
            determined = self._determined.get(person)
            for city, at in named:
                if determined is None or determined[0] != city:
                    actual = determined[0] if determined else "none"
                    found.append(
                        Violation(
                            self.name,
                            f"a refusal names {city} as the retirement city; the log "
                            f"determined {actual}",
                            at,
                            person,
                        )
                    )
        return found

    def _flag(self, event: LoggedEvent, message: str, person: str) -> None:
        self._found.append(Violation(self.name, message, event.at, person))


class DecisionAnswersClaim:
    """Every decision answers a claim on the log, taken by the city that claim chose."""

    name = "insurance-years.decision-answers-claim"
    description = (
        "Every retirement-city decision answers a claim on the log and is taken, and signed, "
        "by the city that claim chose."
    )

    def __init__(self) -> None:
        self._chosen: dict[str, str] = {}  # request id -> the city the claim chose
        # request id, deciding city, signing city, where, whose: judged once all claims are in
        self._decisions: list[tuple[str, str, str, Coordinates, str]] = []
        self._sight = FirstSight()

    def observe(self, event: LoggedEvent) -> None:
        """Note each claim's chosen city and each decision's city."""
        data = event.data
        if isinstance(data, RetirementCityClaimed):
            self._chosen.setdefault(data.request_id, data.chosen_city)
            return
        if not isinstance(data, RetirementCityDetermined | RetirementCityRefused):
            return
        if not self._sight.first(event):
            return
        city = data.city if isinstance(data, RetirementCityDetermined) else data.chosen_city
        signer = event.envelope.source.split("/")[1]  # "/<city>/<agency>/<service>"
        self._decisions.append((data.request_id, city, signer, event.at, data.person_ref))

    def violations(self, now: datetime) -> list[Violation]:
        """Each decision of no claim, or of a city the claim did not choose."""
        found: list[Violation] = []
        for request_id, city, signer, at, person in self._decisions:
            chosen = self._chosen.get(request_id)
            if chosen is None:
                message = f"claim {request_id} is decided, but was never claimed on the log"
            elif city != chosen or signer != chosen:
                message = (
                    f"claim {request_id} chose {chosen}, but is decided as {city} "
                    f"and signed by {signer}"
                )
            else:
                continue
            found.append(Violation(self.name, message, at, person))
        return found


def invariants() -> list[Invariant]:
    """The insurance-years rules the audit checks, fresh."""
    return [LedgerRebuilds(), OneRetirementCity(), DecisionAnswersClaim()]
