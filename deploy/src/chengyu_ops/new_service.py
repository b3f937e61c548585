"""Scaffolding a service: render the templates of ``scaffold/`` for a name, a domain and an
agency, add the domain's topic to ``deploy/topics.yaml``. Touches nothing else outside
the new service's folder but its events module ``contracts/.../events/<domain>.py``."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from chengyu_ops.services import discover_services

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_WORD = re.compile(r"^[a-z][a-z0-9]*$")


class ScaffoldError(ValueError):
    """The service cannot be scaffolded as asked (bad name, already there)."""


@dataclass(frozen=True)
class NewService:
    """What the templates are rendered with."""

    name: str  # kebab-case, e.g. elder-allowance
    domain: str  # one lower-case word: events/<domain>.py, topics <domain>.*
    agency: str  # the agency whose key signs its events
    port: int  # HTTP port 8100+port (cq) and 8200+port (cd)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or len(self.name) > 40:
            raise ScaffoldError(f"a service name is kebab-case like elder-allowance: {self.name!r}")
        for what, word in (("domain", self.domain), ("agency", self.agency)):
            if not _WORD.match(word) or len(word) > 20:
                raise ScaffoldError(f"the {what} is one lower-case word like 'elder': {word!r}")

    @property
    def package(self) -> str:
        """The Python package: ``chengyu_<name with underscores>``."""
        return "chengyu_" + self.name.replace("-", "_")

    def values(self) -> dict[str, str]:
        """Template values."""
        title = self.domain.capitalize()
        return {
            "name": self.name,
            "domain": self.domain,
            "agency": self.agency,
            "port": str(self.port),
            "package": self.package,
            "short": self.domain,
            "event": f"{title}CaseOpened",
            "event_snake": f"{self.domain}_case_opened",
            "event_type": f"cn.chengyu.{self.domain}.case-opened.v1",
            "topic": f"{self.domain}.case",
            "topic_const": "CASE_TOPIC",
            "table": f"{self.domain}_case",
        }


def next_port(root: Path) -> int:
    """One more than the highest port of the services already in the workspace."""
    return max((spec.http_port % 100 for spec in discover_services(root)), default=0) + 1


def scaffold_service(root: Path, name: str, domain: str, agency: str) -> list[Path]:
    """Write the new service into the workspace at ``root``; the files written."""
    spec = NewService(name, domain, agency, next_port(root))
    service_dir = root / "services" / name
    events_file = root / "contracts" / "src" / "chengyu_contracts" / "events" / f"{domain}.py"
    if service_dir.exists():
        raise ScaffoldError(f"{service_dir} exists already")
    if events_file.exists():
        raise ScaffoldError(f"{events_file} exists already: the domain {domain!r} is taken")
    values = spec.values()
    templates = resources.files("chengyu_ops") / "scaffold"
    written: list[Path] = []
    for source, relative in _templates(Path(str(templates / "service"))):
        target = service_dir / Template(str(relative)).substitute(values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text()).substitute(values))
        written.append(target)
    events_file.write_text(
        Template((Path(str(templates)) / "events.py.tmpl").read_text()).substitute(values)
    )
    written.append(events_file)
    topics = root / "deploy" / "topics.yaml"
    with topics.open("a") as out:
        out.write(
            f"  # {name}: cases opened in either city, keyed by case_id "
            f"(events/{domain}.py)\n  - name: {values['topic']}\n"
        )
    written.append(topics)
    _tidy(root, [path for path in written if path.suffix == ".py"])
    return written


def _tidy(root: Path, files: list[Path]) -> None:
    """Sort the imports of the written files and format them as the workspace does (the
    order of imports depends on the new package's name, which no template can know)."""
    names = [str(path) for path in files]
    for args in (["check", "--select", "I", "--fix", "--quiet"], ["format", "--quiet"]):
        subprocess.run([sys.executable, "-m", "ruff", *args, *names], cwd=root, check=True)


def _templates(folder: Path) -> list[tuple[Path, Path]]:
    return [
        (path, path.relative_to(folder).with_suffix("")) for path in sorted(folder.rglob("*.tmpl"))
    ]
