"""Scale-out: three server processes, one batch from the CLI spread over all three, every result
back once and right."""

from __future__ import annotations

import csv
import re
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from serverproc import ServerProcess, running_server

from govreport import cli

SAMPLES = Path(__file__).parents[1] / "server/govreport/samples"


def documents_served(server: ServerProcess) -> int:
    with urllib.request.urlopen(f"http://{server.metrics_address}/metrics", timeout=10) as r:
        text = r.read().decode()
    return int(
        sum(float(v) for v in re.findall(r"^govreport_documents_total\{[^}]*\} (\S+)$", text, re.M))
    )


def test_a_batch_is_spread_over_three_servers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    seeds = sorted(SAMPLES.glob("*.txt"))
    for copy in range(4):  # 20 documents
        for seed in seeds:
            (folder / f"{copy}-{seed.name}").write_bytes(seed.read_bytes())
    env = {"GOVREPORT_WORKERS": "1", "GOVREPORT_METRICS_PORT": "0"}
    with ExitStack() as stack:
        servers = [stack.enter_context(running_server(env)) for _ in range(3)]
        addresses = ",".join(s.address for s in servers)
        out = tmp_path / "r.csv"
        code = cli.main(["extract", str(folder), "--server", addresses, "--out", str(out)])
        assert code == 0, capsys.readouterr().err
        served = [documents_served(s) for s in servers]
    assert sum(served) == 20
    assert all(n >= 6 for n in served), served  # round-robin: 7, 7, 6
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 20 and all(r["status"] == "ok" for r in rows)
    agencies = {Path(r["file"]).name.split("-", 1)[1]: r["agency"] for r in rows}
    assert len(set(agencies.values())) == len(seeds)
