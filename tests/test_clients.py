"""The four ``extract`` commands (Python, Go, TypeScript, Java) behave as one (docs/clients.md):
against the same server they print the same JSON, exit with the same code, name a missing file
the same way, and send --filed-year.

The clients are built by ``make clients`` (``make test`` does it first); their own test suites
(``make test-clients``) check their libraries in their own languages: retries, deadlines,
errors, batches.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from govreport.paths import iter_cells, value_text
from govreport.v1 import report_pb2 as pb

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "server/govreport/samples").glob("*.txt"))
GO = ROOT / "clients/go/bin/govreport-client"
TYPESCRIPT = ROOT / "clients/typescript/dist/cli.js"
# The shaded jar, under the classifier `all`; its name carries the version.
JAVA = next(
    iter(sorted((ROOT / "clients/java/target").glob("govreport-client-*-all.jar"))),
    ROOT / "clients/java/target/govreport-client-VERSION-all.jar",
)
# client -> (the built file, the command that runs its `extract`)
CLIENTS: dict[str, tuple[Path, list[str]]] = {
    # Its default output is a table for a person; JSON is asked for.
    "python": (
        Path(sys.executable),
        [sys.executable, "-m", "govreport.cli", "extract", "--format", "json"],
    ),
    "go": (GO, [str(GO), "extract"]),
    "typescript": (TYPESCRIPT, ["node", str(TYPESCRIPT), "extract"]),
    "java": (JAVA, ["java", "-jar", str(JAVA), "extract"]),
}
THIN = sorted(set(CLIENTS) - {"python"})
# Differ from call to call, whoever makes it.
VOLATILE = ("requestId", "elapsedMs")


def run(client: str, *args: str) -> subprocess.CompletedProcess[str]:
    built, command = CLIENTS[client]
    assert built.exists(), f"the {client} client is not built ({built}): run `make clients`"
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=300, check=False
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def objects(stdout: str) -> list[dict[str, Any]]:
    """The extractions an ``extract`` printed (a line each, or one indented object), without
    the fields that differ from call to call."""
    out = []
    decoder, at = json.JSONDecoder(), 0
    while stdout[at:].strip():
        at += len(stdout[at:]) - len(stdout[at:].lstrip())
        extraction, at = decoder.raw_decode(stdout, at)
        for key in VOLATILE:
            extraction["document"].pop(key, None)
        out.append(extraction)
    return out


@pytest.fixture(scope="module")
def python_run(server_address: str) -> subprocess.CompletedProcess[str]:
    return run("python", "--server", server_address, *map(str, SEEDS))


@pytest.mark.parametrize("client", THIN)
def test_every_client_prints_the_json_the_python_cli_prints(
    client: str, server_address: str, python_run: subprocess.CompletedProcess[str]
) -> None:
    """Same field names, 64-bit integers as strings, enums by name, defaults left out, files
    in the order given, the same exit code (1 when some report has findings of error
    severity)."""
    theirs = run(client, "--server", server_address, *map(str, SEEDS))
    ours = objects(python_run.stdout)
    assert len(ours) == len(SEEDS)
    with_errors = any(int(x["validation"].get("errorCount", 0)) for x in ours)
    assert theirs.returncode == python_run.returncode == int(with_errors), theirs.stderr
    assert objects(theirs.stdout) == ours
    first = ours[0]
    assert first["document"]["sizeBytes"] == str(SEEDS[0].stat().st_size)
    assert first["document"]["format"] == "DOCUMENT_FORMAT_TEXT"
    assert "ruleId" in first["validation"]["findings"][0]
    report = json_format.ParseDict(first["report"], pb.AnnualReport())
    assert len([value_text(p.cell) for p in iter_cells(report)]) > 150


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_missing_file_is_not_found_and_the_others_go_on(
    client: str, server_address: str, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nope.pdf")
    done = run(client, "--server", server_address, str(SEEDS[0]), missing)
    assert done.returncode == 2
    assert len(objects(done.stdout)) == 1
    line = rf"^[\w.-]+: {re.escape(missing)}: NOT_FOUND: no such file$"
    assert re.search(line, done.stderr, re.MULTILINE), done.stderr


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_filed_year_reaches_the_server(client: str, server_address: str) -> None:
    done = run(client, "--server", server_address, "--filed-year", "1990", str(SEEDS[0]))
    assert done.returncode == 1, done.stderr
    [extraction] = objects(done.stdout)
    r9 = [f for f in extraction["validation"]["findings"] if f["ruleId"] == "R9"]
    assert any(f["expected"] == "1990" for f in r9), r9


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_server_out_of_reach_is_unavailable(client: str, tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    done = run(client, "--server", address, "--timeout", "60", str(SEEDS[0]))
    assert done.returncode == 2
    assert f"{SEEDS[0]}: UNAVAILABLE: " in done.stderr, done.stderr
