"""The local stack finds the services in the workspace from their own pyproject files."""

from __future__ import annotations

from pathlib import Path

import pytest

from chengyu_ops.paths import find_project_root
from chengyu_ops.services import ServiceDeclarationError, discover_services


def declare(root: Path, folder: str, table: str) -> None:
    (root / "services" / folder).mkdir(parents=True)
    (root / "services" / folder / "pyproject.toml").write_text(
        f'[project]\nname = "{folder}"\n\n{table}'
    )


def test_each_declared_service_runs_in_both_cities_on_its_ports(tmp_path: Path) -> None:
    declare(
        tmp_path,
        "elder-allowance",
        '[tool.chengyu.service]\nname = "elder-allowance"\npackage = "chengyu_elder"\n'
        'agency = "ca"\nport = 3\n',
    )
    declare(tmp_path, "not-a-service", "[tool.other]\nx = 1\n")
    specs = discover_services(tmp_path)
    assert [(s.id, s.http_port, s.agency, s.module) for s in specs] == [
        ("elder-allowance-cq", 8103, "ca", "chengyu_elder"),
        ("elder-allowance-cd", 8203, "ca", "chengyu_elder"),
    ]
    assert specs[0].command[1:] == ["-m", "chengyu_kit.run", "chengyu_elder"]


def test_a_declaration_without_an_agency_is_refused_naming_the_file(tmp_path: Path) -> None:
    declare(tmp_path, "x", '[tool.chengyu.service]\nname = "x"\npackage = "p"\nport = 4\n')
    with pytest.raises(ServiceDeclarationError, match=r"x/pyproject.toml.*agency"):
        discover_services(tmp_path)


def test_two_services_on_one_port_are_refused(tmp_path: Path) -> None:
    for name in ("a", "b"):
        declare(
            tmp_path,
            name,
            f'[tool.chengyu.service]\nname = "{name}"\npackage = "p{name}"\n'
            'agency = "x"\nport = 5\n',
        )
    with pytest.raises(ServiceDeclarationError, match="share a port"):
        discover_services(tmp_path)


def test_the_workspace_runs_fund_transfer_and_insurance_years_on_their_known_ports() -> None:
    ports = {(s.name, s.city): s.http_port for s in discover_services(find_project_root())}
    assert ports[("fund-transfer", "cq")] == 8101
    assert ports[("fund-transfer", "cd")] == 8201
    assert ports[("insurance-years", "cq")] == 8102
    assert ports[("insurance-years", "cd")] == 8202
