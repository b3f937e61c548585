"""Institutions <-> their ``ElderCareInstitutionPublished`` events (coordinates as
integer millionths of a degree: the event carries no floats)."""

from __future__ import annotations

from chengyu_contracts.events.elder import ElderCareInstitutionPublished

from .institution import Institution


def published_event(institution: Institution) -> ElderCareInstitutionPublished:
    """The event announcing ``institution``'s version."""
    return ElderCareInstitutionPublished(
        institution_id=institution.institution_id,
        city=institution.city,
        version=institution.version,
        name=institution.name,
        district=institution.district,
        address=institution.address,
        latitude_e6=institution.latitude_e6,
        longitude_e6=institution.longitude_e6,
        grade=institution.grade,
        beds=institution.beds,
        nursing_beds=institution.nursing_beds,
        vacancies=institution.vacancies,
        phone=institution.phone,
        closed=institution.closed,
        updated_on=institution.updated_on,
    )


def institution_from_event(event: ElderCareInstitutionPublished) -> Institution:
    """The version an event announces, checked by the same rules as this city's own (a
    :class:`~chengyu_contracts.domain_error.DomainError` if it breaks one)."""
    return Institution(
        institution_id=event.institution_id,
        city=event.city,
        version=event.version,
        name=event.name,
        district=event.district,
        address=event.address,
        latitude_e6=event.latitude_e6,
        longitude_e6=event.longitude_e6,
        grade=event.grade,
        beds=event.beds,
        nursing_beds=event.nursing_beds,
        vacancies=event.vacancies,
        phone=event.phone,
        closed=event.closed,
        updated_on=event.updated_on,
    )
