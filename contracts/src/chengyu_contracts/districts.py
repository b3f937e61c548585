"""The districts (区县) of both cities, as data: a register row or a posting names its district
by its 6-digit GB/T 2260 code, and a city's register holds only its own districts.

Chongqing: its 26 districts (500101-500120, 500151-500156) and 12 counties; Chengdu: its
12 districts, 3 counties and 5 county-level cities. Pure data and one lookup: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import DomainError

__all__ = ["DISTRICTS", "District", "district_of"]


@dataclass(frozen=True)
class District:
    """A household district of one city."""

    city: City
    code: str
    name: str


_CHONGQING = {
    "500101": "万州区",
    "500102": "涪陵区",
    "500103": "渝中区",
    "500104": "大渡口区",
    "500105": "江北区",
    "500106": "沙坪坝区",
    "500107": "九龙坡区",
    "500108": "南岸区",
    "500109": "北碚区",
    "500110": "綦江区",
    "500111": "大足区",
    "500112": "渝北区",
    "500113": "巴南区",
    "500114": "黔江区",
    "500115": "长寿区",
    "500116": "江津区",
    "500117": "合川区",
    "500118": "永川区",
    "500119": "南川区",
    "500120": "璧山区",
    "500151": "铜梁区",
    "500152": "潼南区",
    "500153": "荣昌区",
    "500154": "开州区",
    "500155": "梁平区",
    "500156": "武隆区",
    "500229": "城口县",
    "500230": "丰都县",
    "500231": "垫江县",
    "500233": "忠县",
    "500235": "云阳县",
    "500236": "奉节县",
    "500237": "巫山县",
    "500238": "巫溪县",
    "500240": "石柱土家族自治县",
    "500241": "秀山土家族苗族自治县",
    "500242": "酉阳土家族苗族自治县",
    "500243": "彭水苗族土家族自治县",
}

_CHENGDU = {
    "510104": "锦江区",
    "510105": "青羊区",
    "510106": "金牛区",
    "510107": "武侯区",
    "510108": "成华区",
    "510112": "龙泉驿区",
    "510113": "青白江区",
    "510114": "新都区",
    "510115": "温江区",
    "510116": "双流区",
    "510117": "郫都区",
    "510118": "新津区",
    "510121": "金堂县",
    "510129": "大邑县",
    "510131": "蒲江县",
    "510181": "都江堰市",
    "510182": "彭州市",
    "510183": "邛崃市",
    "510184": "崇州市",
    "510185": "简阳市",
}

#: Each city's household districts: code -> Chinese name.
DISTRICTS: Mapping[City, Mapping[str, str]] = MappingProxyType(
    {"cq": MappingProxyType(_CHONGQING), "cd": MappingProxyType(_CHENGDU)}
)


def district_of(city: City, code: str) -> District:
    """The district ``code`` of ``city``; ``unknown-district`` when ``city`` has none of
    that code (a Chongqing register row must name a Chongqing district)."""
    name = DISTRICTS[city].get(code.strip())
    if name is None:
        raise DomainError(
            "unknown-district",
            f"The district is not one of {CITY_NAMES[city]}'s household districts"
            " (a 6-digit code such as those of GB/T 2260).",
        )
    return District(city=city, code=code.strip(), name=name)
