"""Domain event models. Importing this package fills ``chengyu_contracts.REGISTRY``.

Each domain gets one module, ``events/<domain>.py``, whose models use
``@event(REGISTRY, type=..., topic=..., key=...)``; import it below so that the
registry is complete after ``import chengyu_contracts.events``.
"""

from chengyu_contracts.events import fund, medins

__all__ = ["fund", "medins"]
