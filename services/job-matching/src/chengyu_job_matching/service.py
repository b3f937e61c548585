"""The job-matching service as the kit runs it (``python -m chengyu_kit.run
chengyu_job_matching``): both cities' human-resources bureaus consume every ``hr`` topic and
serve their clerks. Areas: ``postings`` (employers' postings and joint fairs, shared),
``seekers`` (key-group seekers; consented profiles shared), ``matching`` (postings for a
seeker and seekers for a posting over both cities, explained), ``hotline`` (12333 requests
forwarded between the cities, with deadlines) and ``personnel_files`` (where a file is held,
transfers and certificates)."""

from __future__ import annotations

from pydantic import Field

from chengyu_contracts.events.hr import (
    FAIR_TOPIC,
    HOTLINE_TOPIC,
    PERSONNEL_FILE_TOPIC,
    POSTING_TOPIC,
    SEEKER_TOPIC,
)
from chengyu_kit.service import Service
from chengyu_kit.settings import ServiceSettings

from .handlers import hr_handlers, schedule
from .hotline import api as hotline_api
from .matching import api as matching_api
from .personnel_files import api as personnel_files_api
from .policy import PolicyBook, default_policy_book
from .postings import api as postings_api
from .seekers import api as seekers_api

TOPICS = (POSTING_TOPIC, SEEKER_TOPIC, FAIR_TOPIC, HOTLINE_TOPIC, PERSONNEL_FILE_TOPIC)


class JobMatchingSettings(ServiceSettings):
    """The kit's settings plus this service's own (environment variables)."""

    hotline_sweep_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how often the forwarding city looks for 12333 steps past their deadline",
    )
    personnel_files_sweep_seconds: float = Field(
        default=300.0,
        gt=0,
        description="how often the requesting city looks for personnel-file steps past their"
        " deadline",
    )


SERVICE: Service[PolicyBook] = Service(
    name="job-matching",
    agency="hr",
    package=__package__ or "chengyu_job_matching",
    policy=default_policy_book,
    topics=TOPICS,
    handlers=hr_handlers,
    routers=lambda book: [
        postings_api.router(book),
        seekers_api.router(book),
        matching_api.router(book),
        hotline_api.router(book),
        personnel_files_api.router(book),
    ],
    settings=JobMatchingSettings,
    background=schedule,
)
