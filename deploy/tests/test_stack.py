"""The local stack: up twice, status, down; with a stand-in service process."""

from __future__ import annotations

import asyncio
import json
import socket
import textwrap
from pathlib import Path

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from chengyu_kit.local.kafka import free_port_block
from chengyu_kit.local.processes import pid_alive
from chengyu_ops.cli import app
from chengyu_ops.paths import find_project_root
from chengyu_ops.services import ServiceSpec
from chengyu_ops.stack import Stack

ROOT = find_project_root(Path(__file__))

# A stand-in for a service (run as the runner of its own package): answers /readyz and
# echoes the environment the stack gave it.
FAKE_SERVICE = textwrap.dedent(
    """
    import json, os
    from http.server import BaseHTTPRequestHandler, HTTPServer

    KEYS = (
        "CITY", "SERVICE_NAME", "AGENCY", "KAFKA_BOOTSTRAP", "DATABASE_URL", "HTTP_PORT",
        "OIDC_ISSUER", "OIDC_PEER_ISSUERS", "KAFKA_USERNAME", "KAFKA_PASSWORD_FILE",
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({k: os.environ.get(k) for k in KEYS}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    HTTPServer((os.environ["HTTP_HOST"], int(os.environ["HTTP_PORT"])), Handler).serve_forever()
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration
async def test_up_twice_status_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "fake_service.py").write_text(FAKE_SERVICE)
    http_port = _free_port()
    spec = ServiceSpec(
        "fake-service",
        "cq",
        "fake_service",
        http_port=http_port,
        agency="test",
        env={"PYTHONPATH": str(tmp_path / "pkg")},
        runner="fake_service",
    )
    home = tmp_path / "home"

    def new_stack() -> Stack:
        return Stack(
            ROOT,
            home=home,
            kafka_port=free_port_block(2),
            oidc_port=free_port_block(1),
            services=[spec],
        )

    stack = new_stack()
    lines: list[str] = []
    try:
        components = stack.up(lines.append, timeout=90)
        assert {c.name: c.state for c in components} == {
            "kafka": "running",
            "postgres": "running",
            "oidc": "running",
            "fake-service-cq": "running",
        }
        async with httpx.AsyncClient() as client:
            seen = (await client.get(f"http://127.0.0.1:{http_port}/readyz")).json()
        assert seen["CITY"] == "cq" and seen["SERVICE_NAME"] == "fake-service"
        assert seen["KAFKA_BOOTSTRAP"] == stack.kafka.bootstrap_servers
        # The city's own issuer, and the other city's for its auditors.
        assert seen["OIDC_ISSUER"] == stack.oidc.issuer("cq")
        assert json.loads(seen["OIDC_PEER_ISSUERS"]) == {"cd": stack.oidc.issuer("cd")}
        token = stack.oidc.token("cq", audience="fake-service", role="clerk", agency="test")
        assert token.count(".") == 2
        # its agency's own principal, the password only as a file (0600)
        assert seen["KAFKA_USERNAME"] == "cq-test"
        password_file = Path(seen["KAFKA_PASSWORD_FILE"])
        assert password_file.parent == home / "kafka-users"
        assert _mode(password_file) == _mode(stack.kafka.admin_password_file) == 0o600
        conn = await asyncpg.connect(seen["DATABASE_URL"])  # its own database exists
        await conn.close()
        assert (home / "logs" / "fake-service-cq.log").exists()

        # A second `up` (another Stack object, another requested port) starts nothing new.
        pids = {c.name: c.pid for c in components}
        again = new_stack()
        lines.clear()
        second = again.up(lines.append, timeout=90)
        assert {c.name: c.pid for c in second} == pids
        assert "kafka: already running" in lines[0]
        assert any("fake-service-cq: already running" in line for line in lines)

        runner = CliRunner()
        result = runner.invoke(app, ["stack", "status", "--json"], env={"CHENGYU_HOME": str(home)})
        assert result.exit_code == 0, result.output
        status = json.loads(result.output)
        assert status["home"] == str(home)
        by_name = {c["name"]: c for c in status["components"]}
        assert by_name["kafka"]["state"] == "running"
        assert by_name["postgres"]["state"] == "running"
        assert by_name["oidc"]["state"] == "running"

        await asyncio.to_thread(
            _acls_twice_and_no_secret_in_logs, home, stack, [*lines, result.output], token
        )
    finally:
        new_stack().down(lines.append)
    assert all(pid is None or not pid_alive(pid) for pid in pids.values())
    assert {c.state for c in new_stack().status()} == {"stopped"}


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _acls_twice_and_no_secret_in_logs(
    home: Path, stack: Stack, lines: list[str], token: str
) -> None:
    """`chengyu acls apply` twice (the second changes nothing), `events tail` as the reader,
    then no generated password and not the clerk's token in any log of the stack (Kafka,
    the identity provider) or its services, nor in the output."""
    runner = CliRunner()
    # `chengyu acls apply` (the workspace's services) twice: the second changes nothing
    env = {"CHENGYU_HOME": str(home)}
    first = runner.invoke(app, ["acls", "apply"], env=env)
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["acls", "apply"], env=env)
    assert second.exit_code == 0, second.output
    assert second.output.strip().endswith(": unchanged"), second.output
    assert len(second.output.strip().splitlines()) == 1, second.output
    # `chengyu events tail` reads as the reader principal (nothing published yet)
    tail = runner.invoke(app, ["events", "tail", "--no-follow", "--from-beginning"], env=env)
    assert tail.exit_code == 0, tail.output
    outputs = [*lines, first.output, second.output, tail.output]

    # No generated password in any log of the stack or its services, nor in the output.
    passwords = [stack.kafka.admin_password_file.read_text().strip()] + [
        file.read_text().strip() for file in sorted((home / "kafka-users").iterdir())
    ]
    assert len(passwords) > 10
    # The token's signature part: unique to this token, and what a leak would contain.
    passwords.append(token.rsplit(".", 1)[1])
    logs = [
        path
        for path in home.rglob("*")
        if path.is_file() and (path.suffix in {".log", ".out"} or ".log." in path.name)
    ]
    assert any(p.name == "server.log" for p in logs) and any(
        p.name == "fake-service-cq.log" for p in logs
    )
    texts = [p.read_text(errors="replace") for p in logs] + outputs
    leaks = [pw[:4] + "..." for pw in passwords if any(pw in text for text in texts)]
    assert leaks == []
