"""What a clerk does with the institution map, and what the other city's events do to it:
each a function of a unit of work (the kit commits the writes with the emitted events)."""

from __future__ import annotations

from dataclasses import dataclass

from chengyu_contracts.domain_error import NotFound
from chengyu_contracts.events.elder import ElderCareInstitutionPublished
from chengyu_kit.logs import get_logger
from chengyu_kit.unit import Unit

from . import store
from .institution import Institution, degrees_e6, next_version
from .query import MapPage, MapQuery
from .wire import institution_from_event, published_event

log = get_logger(__name__)


@dataclass(frozen=True)
class PublishInstitution:
    """A clerk's save of one of this city's institutions (decimal degrees, as typed)."""

    institution_id: str
    name: str
    district: str
    address: str
    latitude: float
    longitude: float
    grade: int | None
    beds: int
    nursing_beds: int
    vacancies: int
    phone: str
    closed: bool = False


@dataclass(frozen=True)
class Published:
    """The institution after a save, and whether the save wrote a new version."""

    institution: Institution
    changed: bool


async def publish_institution(command: PublishInstitution, unit: Unit) -> Published:
    """Save a version of this city's institution and publish it; a save that says what
    the latest version says writes nothing and publishes nothing.

    Refusals: those of :func:`.institution.institution_problem` (the id must start with
    this city's code), all before anything is written.
    """
    proposed = Institution(
        institution_id=command.institution_id,
        city=unit.city,
        version=1,
        name=command.name,
        district=command.district,
        address=command.address,
        latitude_e6=degrees_e6(command.latitude),
        longitude_e6=degrees_e6(command.longitude),
        grade=command.grade,
        beds=command.beds,
        nursing_beds=command.nursing_beds,
        vacancies=command.vacancies,
        phone=command.phone,
        closed=command.closed,
        updated_on=unit.today,
    )
    current = await store.load_institution(unit.conn, command.institution_id, lock=True)
    saved = next_version(current, proposed)
    if saved is None:
        assert current is not None
        return Published(current, changed=False)
    await store.save_own_version(
        unit.conn,
        saved,
        recorded_at=unit.now,
        recorded_by=unit.acted_by(),
        request_id=unit.request_id,
    )
    unit.emit(published_event(saved))
    log.info(
        "institution published",
        institution_id=saved.institution_id,
        version=saved.version,
        closed=saved.closed,
    )
    return Published(saved, changed=True)


async def institution(institution_id: str, unit: Unit) -> Institution:
    """The latest version known here of either city's institution, closed ones too."""
    found = await store.load_institution(unit.conn, institution_id)
    if found is None:
        raise NotFound("unknown-institution", f"No institution {institution_id} is known here.")
    return found


async def map_page(query: MapQuery, unit: Unit) -> MapPage:
    """One page of both cities' open institutions as ``query`` asks (:mod:`.query`)."""
    return await store.query_map(unit.conn, query)


async def keep_published(event: ElderCareInstitutionPublished, unit: Unit) -> bool:
    """Keep the other city's institution version if it is newer than the one known here;
    ``False`` when it changes nothing (redelivered, replayed, or older)."""
    return await store.keep_if_newer(unit.conn, institution_from_event(event))
