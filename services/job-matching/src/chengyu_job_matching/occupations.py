"""The 2022 national occupation classification (中华人民共和国职业分类大典, 2022 edition) and
its hierarchy: an occupation's code ``X-XX-XX-XX`` names its major group (大类, ``X``), its
sub-major group (中类, ``X-XX``), its minor group (小类, ``X-XX-XX``) and the occupation itself
(细类, the unit group). Two codes are as related as the longest group they share.

EXTRACT: ``data/occupations.csv`` holds an extract of about 110 occupations of the 2022
edition across all eight major groups (software, nursing, teaching, accounting, construction,
welding, electricians, drivers, cooks, sales, logistics, agriculture, manufacturing ...), to
be replaced by the bureau's full table (same two columns) before production use.

The table of codes is data (``data/occupations.csv``: ``code,name``), loaded once; a posting
or a profile naming a code that is not in it is refused (``unknown-occupation``). Pure apart
from reading that package file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal

from chengyu_contracts.domain_error import DomainError

__all__ = [
    "MAJOR_GROUPS",
    "Occupation",
    "Relation",
    "occupation_of",
    "occupations",
    "relation",
]

_CODE = re.compile(r"^([1-8])-([0-9]{2})-([0-9]{2})-([0-9]{2})$")

#: The eight major groups (大类) of the 2022 edition.
MAJOR_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "1": "党的机关、国家机关、群众团体和社会组织、企事业单位负责人",
        "2": "专业技术人员",
        "3": "办事人员和有关人员",
        "4": "社会生产服务和生活服务人员",
        "5": "农、林、牧、渔业生产及辅助人员",
        "6": "生产制造及有关人员",
        "7": "军队人员",
        "8": "不便分类的其他从业人员",
    }
)

#: How two occupations are related, closest first: the same occupation (unit group), the
#: same minor group (小类), the same sub-major group (中类), the same major group (大类), none.
Relation = Literal["unit", "minor", "sub-major", "major", "none"]


@dataclass(frozen=True)
class Occupation:
    """One occupation (细类) of the classification."""

    code: str
    name: str

    @property
    def major(self) -> str:
        """The major group's code, ``X``."""
        return self.code[:1]

    @property
    def sub_major(self) -> str:
        """The sub-major group's code, ``X-XX``."""
        return self.code[:4]

    @property
    def minor(self) -> str:
        """The minor group's code, ``X-XX-XX``."""
        return self.code[:7]


def relation(a: str, b: str) -> Relation:
    """How closely the occupations ``a`` and ``b`` (well-formed codes) are related."""
    if a == b:
        return "unit"
    if a[:7] == b[:7]:
        return "minor"
    if a[:4] == b[:4]:
        return "sub-major"
    if a[:1] == b[:1]:
        return "major"
    return "none"


@cache
def occupations() -> Mapping[str, Occupation]:
    """The classification's occupations by code (read once from the package's data)."""
    text = resources.files(__package__ or "chengyu_job_matching").joinpath("data/occupations.csv")
    table: dict[str, Occupation] = {}
    with text.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            code = row["code"].strip()
            if not _CODE.match(code):
                raise ValueError(f"data/occupations.csv: malformed code {code!r}")
            table[code] = Occupation(code=code, name=row["name"].strip())
    return MappingProxyType(table)


def occupation_of(code: str) -> Occupation:
    """The occupation ``code``: ``invalid-occupation-code`` when it is not ``X-XX-XX-XX``,
    ``unknown-occupation`` when the classification has no such occupation."""
    code = code.strip()
    if not _CODE.match(code):
        raise DomainError(
            "invalid-occupation-code",
            f"The occupation code {code!r} is not of the form X-XX-XX-XX"
            " (2022 national occupation classification, e.g. 2-02-10-03).",
        )
    found = occupations().get(code)
    if found is None:
        raise DomainError(
            "unknown-occupation",
            f"The occupation code {code} is not in the 2022 national occupation classification.",
        )
    return found
