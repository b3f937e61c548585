"""Blood products and ABO/RhD groups: the codes that travel in events, CSV imports and
URLs, and their parsing with a refusal that names what was wrong.

The codes are the service's own (``red-cells``, ``O``, ``neg``), not ISBT 128 product
codes: ICCBBA's product database is licensed, so a centre's export is mapped to these at
the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from chengyu_contracts.domain_error import DomainError

Product = Literal["whole-blood", "red-cells", "platelets", "plasma", "cryo"]
PRODUCTS: Final[tuple[Product, ...]] = ("whole-blood", "red-cells", "platelets", "plasma", "cryo")
#: Names for sentences and the dashboard (全血, 悬浮红细胞, 血小板, 新鲜冰冻血浆, 冷沉淀).
PRODUCT_NAMES: Final[dict[Product, str]] = {
    "whole-blood": "whole blood",
    "red-cells": "suspended red cells",
    "platelets": "platelets",
    "plasma": "fresh frozen plasma",
    "cryo": "cryoprecipitate",
}

Abo = Literal["O", "A", "B", "AB"]
ABOS: Final[tuple[Abo, ...]] = ("O", "A", "B", "AB")

Rhd = Literal["pos", "neg"]
RHDS: Final[tuple[Rhd, ...]] = ("pos", "neg")


@dataclass(frozen=True, order=True)
class BloodGroup:
    """An ABO and RhD group, of a donor's unit or of a recipient."""

    abo: Abo
    rhd: Rhd

    def __str__(self) -> str:
        return f"{self.abo} RhD {self.rhd}"


#: All eight groups, O pos first (the order of the dashboard's rows).
GROUPS: Final[tuple[BloodGroup, ...]] = tuple(BloodGroup(a, r) for a in ABOS for r in RHDS)


@dataclass(frozen=True, order=True)
class StockKey:
    """One line of a centre's stock: a product of one group (levels are kept per line)."""

    product: Product
    abo: Abo
    rhd: Rhd

    @property
    def group(self) -> BloodGroup:
        """The line's ABO/RhD group."""
        return BloodGroup(self.abo, self.rhd)

    @classmethod
    def of(cls, product: Product, group: BloodGroup) -> StockKey:
        """The line of ``product`` in ``group``."""
        return cls(product, group.abo, group.rhd)

    def __str__(self) -> str:
        return f"{PRODUCT_NAMES[self.product]} {self.group}"


#: Every line: five products times eight groups.
STOCK_KEYS: Final[tuple[StockKey, ...]] = tuple(
    StockKey.of(product, group) for product in PRODUCTS for group in GROUPS
)


def parse_product(text: str) -> Product:
    """``text`` as a product code; anything else is refused ``unknown-product``."""
    for product in PRODUCTS:
        if text == product:
            return product
    raise DomainError("unknown-product", f"A product is one of {', '.join(PRODUCTS)}.")


def parse_abo(text: str) -> Abo:
    """``text`` as an ABO group (``O``, ``A``, ``B``, ``AB``); else ``unknown-abo``."""
    for abo in ABOS:
        if text == abo:
            return abo
    raise DomainError("unknown-abo", "An ABO group is O, A, B or AB.")


def parse_rhd(text: str) -> Rhd:
    """``text`` as an RhD group (``pos``, ``neg``); else ``unknown-rhd``."""
    for rhd in RHDS:
        if text == rhd:
            return rhd
    raise DomainError("unknown-rhd", "An RhD group is pos or neg.")


def parse_group(abo: str, rhd: str) -> BloodGroup:
    """The group of ``abo`` and ``rhd``; ``unknown-abo`` or ``unknown-rhd`` when either is
    not a code (ABO is checked first)."""
    return BloodGroup(parse_abo(abo), parse_rhd(rhd))


def parse_stock_key(product: str, abo: str, rhd: str) -> StockKey:
    """The stock line of the three codes, each refused by its own code when unknown."""
    return StockKey(parse_product(product), parse_abo(abo), parse_rhd(rhd))
