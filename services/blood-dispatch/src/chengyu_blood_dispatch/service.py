"""blood-dispatch, declared: what the kit needs to build and run it.

WORK IN PROGRESS (issue 10): the pure rules are written (blood_groups, din, unit, levels,
compatibility, offers, dispatch, rare_donors, policy) and the events are in
``chengyu_contracts.events.blood``; the stores, use cases, handlers, routes, dashboard,
end-to-end tests and demo are not, so the service consumes nothing and serves only the
kit's health routes yet.
"""

from __future__ import annotations

from chengyu_kit.service import Service

from .policy import PolicyBook, default_policy_book

SERVICE: Service[PolicyBook] = Service(
    name="blood-dispatch",
    agency="blood",
    package=__package__ or "chengyu_blood_dispatch",
    policy=default_policy_book,
)
