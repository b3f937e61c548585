"""Lines of glue of each service: what a service writes besides its domain to be run by the
kit, at a git revision. ``python -m benchmarks.glue_lines [REV ...]`` (default: HEAD);
``--tree DIR SERVICE PACKAGE`` counts a service in a working tree instead (e.g. one that
``chengyu new-service`` just wrote).

Counted are lines of code (no blank lines, comments or docstrings) of these parts:

- entry: ``__main__.py``;
- wiring: ``app.py`` / ``service.py`` (the composition or the declaration, with the
  service's settings class) and the background job's registration;
- migrations: ``migrations.py`` (finding the SQL files);
- handlers: ``handlers.py`` (registration, issuing-city checks, stepping);
- routes: the bodies of the HTTP route functions (request -> use case -> answer);
- test harness: the service's HTTP and two-city test helper modules.

The domain (rules, policy, stores, use cases, flows) is not glue and is not counted.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

SERVICES = {
    "fund-transfer": "chengyu_fund_transfer",
    "insurance-years": "chengyu_insurance_years",
}
HARNESS = {
    "fund-transfer": ("fund_transfer_http.py", "fund_transfer_saga.py"),
    "insurance-years": ("insurance_years_http.py", "insurance_years_bus.py"),
}
# Background work's registration (in app.py before the service shape, beside its job since).
SCHEDULES = ("sweep.py",)


def source_at(rev: str, path: str) -> str | None:
    """The file at ``rev`` (or under the folder ``rev`` when it is one), or None when it
    does not exist there."""
    folder = Path(rev)
    if folder.is_dir():
        file = folder / path
        return file.read_text() if file.is_file() else None
    shown = subprocess.run(
        ["git", "show", f"{rev}:{path}"], capture_output=True, text=True, check=False
    )
    return shown.stdout if shown.returncode == 0 else None


def code_lines(source: str, nodes: Iterable[ast.AST] | None = None) -> int:
    """Lines holding code (not blank, comment or docstring) in ``source`` or in ``nodes``."""
    tree = ast.parse(source)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(body[0].lineno, (body[0].end_lineno or 0) + 1))
    lines: set[int] = set()
    for node in ast.walk(tree) if nodes is None else nodes:
        for sub in ast.walk(node):
            start, end = getattr(sub, "lineno", None), getattr(sub, "end_lineno", None)
            if start is not None and end is not None:
                lines.update(range(start, end + 1))
    text = source.splitlines()
    return len(
        [
            n
            for n in lines - docstrings
            if text[n - 1].strip() and not text[n - 1].strip().startswith("#")
        ]
    )


def route_bodies(source: str) -> list[ast.stmt]:
    """The statements of every function decorated with ``@router.<method>(...)``."""
    found: list[ast.stmt] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and isinstance(d.func.value, ast.Name)
            and d.func.value.id == "router"
            for d in node.decorator_list
        ):
            found.extend(node.body)
    return found


def glue(rev: str, service: str, harness_files: Iterable[str] = ()) -> dict[str, int]:
    """Glue lines of ``service`` at ``rev``, by part."""
    package = f"services/{service}/src/{SERVICES[service]}"

    def lines(*names: str) -> int:
        total = 0
        for name in names:
            source = source_at(rev, f"{package}/{name}")
            total += 0 if source is None else code_lines(source)
        return total

    api = source_at(rev, f"{package}/api.py") or ""
    scheduling = 0
    for name in SCHEDULES:
        module = source_at(rev, f"{package}/{name}")
        if module is not None:
            schedule = [
                node
                for node in ast.parse(module).body
                if isinstance(node, ast.FunctionDef) and node.name.startswith("schedule_")
            ]
            scheduling += code_lines(module, schedule)
    harness = sum(
        code_lines(source)
        for name in (*HARNESS.get(service, ()), *harness_files)
        if (source := source_at(rev, f"services/{service}/tests/{name}")) is not None
    )
    return {
        "entry": lines("__main__.py"),
        "wiring": lines("app.py", "service.py") + scheduling,
        "migrations": lines("migrations.py"),
        "handlers": lines("handlers.py"),
        "routes": code_lines(api, route_bodies(api)) if api else 0,
        "test harness": harness,
    }


def main(revs: list[str]) -> None:
    """Print a table of glue lines per service and part for each revision."""
    if revs[:1] == ["--tree"]:
        folder, service, package, *harness = revs[1:]
        SERVICES[service] = package
        parts = glue(folder, service, harness)
        cells = ", ".join(f"{name} {count}" for name, count in parts.items())
        print(f"{folder} {service}: {sum(parts.values())} lines ({cells})")
        return
    for rev in revs or ["HEAD"]:
        for service in SERVICES:
            parts = glue(rev, service)
            cells = ", ".join(f"{name} {count}" for name, count in parts.items())
            print(f"{rev} {service}: {sum(parts.values())} lines ({cells})")


if __name__ == "__main__":
    main(sys.argv[1:])
