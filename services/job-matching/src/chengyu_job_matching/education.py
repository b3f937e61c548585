"""The ordinal education scale of postings and seekers:
初中 < 高中/中专 < 大专 < 本科 < 硕士 < 博士.

A posting requires a level; a seeker meets it with that level or any higher one. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

__all__ = ["EDUCATION_LEVELS", "EDUCATION_NAMES", "Education", "meets", "rank"]

Education = Literal[
    "junior-middle", "senior-middle", "junior-college", "bachelor", "master", "doctor"
]

#: The levels from lowest to highest.
EDUCATION_LEVELS: tuple[Education, ...] = get_args(Education)

#: The Chinese name of each level, for pages and messages.
EDUCATION_NAMES: Mapping[Education, str] = MappingProxyType(
    {
        "junior-middle": "初中",
        "senior-middle": "高中/中专",
        "junior-college": "大专",
        "bachelor": "本科",
        "master": "硕士",
        "doctor": "博士",
    }
)


def rank(level: Education) -> int:
    """The level's place on the scale, 1 (初中) to 6 (博士): what the database stores and
    compares."""
    return EDUCATION_LEVELS.index(level) + 1


def meets(held: Education, required: Education) -> bool:
    """Whether a seeker holding ``held`` meets a posting that requires ``required``."""
    return rank(held) >= rank(required)
