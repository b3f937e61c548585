"""Jars of a program the local stack runs on the JDK (Kafka, the OIDC provider), fetched
once from Maven Central by the program's pom into ``.cache/`` and reused."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from chengyu_kit.local import processes as _proc

_MAVEN_NS = "{http://maven.apache.org/POM/4.0.0}"
_COMPLETE = ".complete"


class JarFetchError(RuntimeError):
    """Maven is missing, failed, or did not bring the expected jar; the message says why."""


def pom_property(pom: Path, name: str) -> str:
    """The text of ``<properties><name>`` in ``pom``."""
    node = ET.parse(pom).getroot().find(f"{_MAVEN_NS}properties/{_MAVEN_NS}{name}")
    if node is None or not (node.text or "").strip():
        raise JarFetchError(f"{pom}: no <properties><{name}> found")
    return (node.text or "").strip()


def ensure_jars(pom: Path, libs: Path, expected_jar: str, what: str) -> Path:
    """``libs``, holding the dependencies of ``pom``, fetched with Maven first when it is
    incomplete; ``expected_jar`` is the prefix of the jar that must be among them.

    Maven copies into a temporary folder that is renamed into place and marked complete only
    on success, so an interrupted fetch is simply redone; concurrent callers wait on a lock.
    """
    marker = libs.parent / _COMPLETE
    if marker.is_file() and libs.is_dir():
        return libs
    libs.parent.mkdir(parents=True, exist_ok=True)
    with _proc.file_lock(libs.parent / ".lock"):
        if marker.is_file() and libs.is_dir():
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise JarFetchError(f"Maven (mvn) is not on PATH; it is needed once to fetch {what}")
        partial = libs.parent / "libs.partial"
        shutil.rmtree(partial, ignore_errors=True)
        argv = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={partial}",
        ]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise JarFetchError(
                f"fetching {what} failed ({' '.join(argv)}):\n{result.stdout}\n{result.stderr}"
            )
        jars = sorted(p.name for p in partial.glob("*.jar"))
        if not any(name.startswith(expected_jar) for name in jars):
            raise JarFetchError(f"Maven finished but {partial} has no {expected_jar}*.jar")
        shutil.rmtree(libs, ignore_errors=True)
        partial.rename(libs)
        marker.write_text("\n".join(jars) + "\n")
    return libs
