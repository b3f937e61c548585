"""``chengyu new-service``: a generated service follows the conventions (lint, types) and
its tests pass, in a copy of the workspace; only its events module and the topics file
are touched outside its folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chengyu_ops.new_service import ScaffoldError, scaffold_service
from chengyu_ops.paths import find_project_root

ROOT = find_project_root(Path(__file__))


def workspace_copy(target: Path) -> Path:
    """The files git knows of this checkout, copied to ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    return target


def run(args: list[str], copy: Path, service: str) -> subprocess.CompletedProcess[str]:
    """Run a tool of the workspace's interpreter on the copy, its packages first on the path."""
    paths = ["contracts/src", "kit/src", "deploy/src", f"services/{service}/src"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(copy / p) for p in paths))
    env["MYPYPATH"] = env["PYTHONPATH"]
    return subprocess.run(
        [sys.executable, "-m", *args],
        check=False,
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.integration
def test_a_scaffolded_service_passes_lint_types_and_its_own_tests(tmp_path: Path) -> None:
    copy = workspace_copy(tmp_path / "workspace")
    written = scaffold_service(copy, "harbour-permits", domain="harbour", agency="port")
    outside = {
        str(path.relative_to(copy))
        for path in written
        if not path.is_relative_to(copy / "services" / "harbour-permits")
    }
    assert outside == {"contracts/src/chengyu_contracts/events/harbour.py", "deploy/topics.yaml"}

    generated = ["services/harbour-permits", "contracts/src/chengyu_contracts/events/harbour.py"]
    lint = run(["ruff", "check", *generated], copy, "harbour-permits")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = run(["ruff", "format", "--check", *generated], copy, "harbour-permits")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    typed = run(
        ["mypy", "services/harbour-permits/src", "services/harbour-permits/tests"],
        copy,
        "harbour-permits",
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    tests = run(
        ["pytest", "-q", "-p", "no:cacheprovider", "services/harbour-permits/tests"],
        copy,
        "harbour-permits",
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout


def test_an_existing_service_or_domain_is_not_overwritten(tmp_path: Path) -> None:
    copy = workspace_copy(tmp_path / "workspace")
    with pytest.raises(ScaffoldError, match="exists already"):
        scaffold_service(copy, "fund-transfer", domain="newdomain", agency="hpf")
    with pytest.raises(ScaffoldError, match="domain 'fund' is taken"):
        scaffold_service(copy, "fund-loans", domain="fund", agency="hpf")


def test_a_name_that_is_not_kebab_case_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="kebab-case"):
        scaffold_service(tmp_path, "Elder_Allowance", domain="elder", agency="ca")
