"""Domain event models. Importing this package fills ``chengyu_contracts.REGISTRY``.

Each domain gets one module, ``events/<domain>.py``, whose models use
``@event(REGISTRY, type=..., topic=..., key=...)``. Every module of this package is
imported here, so adding a domain's module is all it takes for the registry (and
``chengyu contracts check``) to know its events.
"""

import importlib
import pkgutil

__all__: list[str] = []

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
    __all__.append(_module.name)
