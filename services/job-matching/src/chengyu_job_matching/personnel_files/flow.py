"""The personnel-files area's event handlers (each city plays its part; each event applied
once) and the requesting city's overdue sweep."""

from __future__ import annotations

from chengyu_contracts.events.hr import (
    PersonnelFileCertificateAnswered,
    PersonnelFileCertificateRequested,
    PersonnelFileDispatched,
    PersonnelFileHeld,
    PersonnelFileOverdue,
    PersonnelFileReceived,
    PersonnelFileSupplemented,
    PersonnelFileTransferCompleted,
    PersonnelFileTransferRequested,
)
from chengyu_kit.handling import EventHandlers
from chengyu_kit.inbox import EventContext
from chengyu_kit.runtime import ServiceRuntime

from ..policy import PolicyBook
from . import usecases

#: How often late steps are looked for (a reminder goes out once per step and deadline).
OVERDUE_SWEEP_SECONDS = 300.0


def declare(handlers: EventHandlers, book: PolicyBook) -> None:
    """Declare the area's handlers on ``handlers``."""

    @handlers.on(PersonnelFileHeld, issued_by=lambda e: e.city, acts="other")
    async def on_personnel_file_held(event: PersonnelFileHeld, unit: EventContext) -> None:
        await usecases.receive_held(event, unit)

    @handlers.on(PersonnelFileTransferRequested, issued_by=lambda e: e.to_city, acts="other")
    async def on_personnel_file_transfer_requested(
        event: PersonnelFileTransferRequested, unit: EventContext
    ) -> None:
        await usecases.receive_requested(event, unit)

    @handlers.on(PersonnelFileDispatched, issued_by=lambda e: e.holder_city, acts="other")
    async def on_personnel_file_dispatched(
        event: PersonnelFileDispatched, unit: EventContext
    ) -> None:
        await usecases.receive_dispatched(event, unit, book)

    @handlers.on(PersonnelFileReceived, issued_by=lambda e: e.to_city, acts="other")
    async def on_personnel_file_received(event: PersonnelFileReceived, unit: EventContext) -> None:
        await usecases.receive_received(event, unit, book)

    @handlers.on(PersonnelFileSupplemented, issued_by=lambda e: e.holder_city, acts="other")
    async def on_personnel_file_supplemented(
        event: PersonnelFileSupplemented, unit: EventContext
    ) -> None:
        await usecases.receive_supplemented(event, unit, book)

    @handlers.on(PersonnelFileTransferCompleted, issued_by=lambda e: e.to_city, acts="other")
    async def on_personnel_file_transfer_completed(
        event: PersonnelFileTransferCompleted, unit: EventContext
    ) -> None:
        await usecases.receive_completed(event, unit, book)

    @handlers.on(PersonnelFileOverdue, issued_by=lambda e: e.to_city, acts="other")
    async def on_personnel_file_overdue(event: PersonnelFileOverdue, unit: EventContext) -> None:
        await usecases.receive_overdue(event, unit)

    @handlers.on(
        PersonnelFileCertificateRequested, issued_by=lambda e: e.requesting_city, acts="other"
    )
    async def on_personnel_file_certificate_requested(
        event: PersonnelFileCertificateRequested, unit: EventContext
    ) -> None:
        await usecases.receive_certificate_requested(event, unit)

    @handlers.on(PersonnelFileCertificateAnswered, issued_by=lambda e: e.holder_city, acts="other")
    async def on_personnel_file_certificate_answered(
        event: PersonnelFileCertificateAnswered, unit: EventContext
    ) -> None:
        await usecases.receive_certificate_answered(event, unit)


def schedule(runtime: ServiceRuntime, book: PolicyBook) -> None:
    """Register the overdue sweep (on the runtime's clock)."""

    async def sweep() -> int:
        return await usecases.remind_due(runtime, book)

    # The setting is JobMatchingSettings'; a runtime built on the kit's plain settings (some
    # tests) sweeps at the default.
    interval = getattr(runtime.settings, "personnel_files_sweep_seconds", OVERDUE_SWEEP_SECONDS)
    runtime.every(interval, "personnel-files-overdue-sweep", sweep)
