"""The wheel a clean checkout builds, as ``pip install git+…`` builds it, installs and runs.

The gRPC stubs are not in git: setup.py generates them into the wheel. This test builds the
wheel from a copy of the checkout without them, with build isolation (setuptools and
grpcio-tools from PyPI), installs it into a new virtualenv with its dependencies from PyPI,
and runs that virtualenv's ``govreport`` on a sample. It takes a few minutes the first time
(the dependencies are downloaded; later runs take them from pip's cache).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GENERATED = "server/govreport/v1/"
# 乐清市卫生健康局 2023: only warnings, so the expected exit code is 0 (1 is accepted too).
SAMPLE = REPO / "server/govreport/samples/002_97f660b055823c4f.txt"
# A guard against a hung download, not a measure: the first install fetches ~150 MB.
TIMEOUT = 1200


def _env() -> dict[str, str]:
    # Without PYTHONPATH nothing can import govreport from the working tree by accident.
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{' '.join(result.args)} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    )


def _checkout_copy(dest: Path) -> None:
    """The files of a clean checkout, without the generated stubs, copied to ``dest``.

    Tracked files, and untracked ones that git does not ignore: in CI everything is
    committed, and a working tree's new files (a new module, say) are part of what it builds.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    names = [name for name in listed.split("\0") if name and not name.startswith(GENERATED)]
    copied = 0
    for name in names:
        source = REPO / name
        if not source.is_file():  # deleted in the working tree, not yet in git
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        copied += 1
    assert copied > 0 and (dest / "setup.py").is_file() and (dest / "proto").is_dir()
    assert not (dest / GENERATED).exists()


def _agency(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode in (0, 1), _explain(result)
    agency = json.loads(result.stdout)["report"]["metadata"]["agency"]
    assert isinstance(agency, str)
    return agency


def test_wheel_from_clean_checkout_installs_and_runs(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    _checkout_copy(source)

    wheels = tmp_path / "wheels"
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, source, cwd=tmp_path
    )
    assert built.returncode == 0, _explain(built)
    [wheel] = wheels.glob("govreport-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for stub in ("report", "service", "template", "validation"):
            assert f"govreport/v1/{stub}_pb2.py" in names
        assert "govreport/v1/service_pb2_grpc.py" in names
        # Generated as `make proto-gen` does: absolute imports within the package.
        service = archive.read("govreport/v1/service_pb2.py").decode()
        assert "from govreport.v1 import report_pb2" in service
        # What the package reads at run time besides its modules.
        assert "govreport/py.typed" in names
        assert {"govreport/review/static/review.css", "govreport/review/static/review.js"} <= names
        samples = {f"govreport/samples/{path.name}" for path in SAMPLE.parent.iterdir()}
        assert samples <= names
        [dist_info] = {name.split("/")[0] for name in names if ".dist-info/" in name}
        licenses = [n for n in names if n.startswith(f"{dist_info}/") and n.endswith("/LICENSE")]
        assert len(licenses) == 1, sorted(n for n in names if n.startswith(dist_info))
        assert archive.read(licenses[0]) == (REPO / "LICENSE").read_bytes()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        assert "License-Expression: Apache-2.0" in metadata.splitlines()

    venv = tmp_path / "venv"
    created = _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    assert created.returncode == 0, _explain(created)
    bin_dir = venv / "bin"
    installed = _run(bin_dir / "python", "-m", "pip", "install", wheel, cwd=tmp_path)
    assert installed.returncode == 0, _explain(installed)

    # The stubs come from the installed wheel, not from this working tree.
    where = _run(
        bin_dir / "python",
        "-c",
        "import govreport.v1.service_pb2_grpc as m; print(m.__file__)",
        cwd=tmp_path,
    )
    assert where.returncode == 0, _explain(where)
    assert Path(where.stdout.strip()).is_relative_to(venv)

    helped = _run(bin_dir / "govreport", "--help", cwd=tmp_path)
    assert helped.returncode == 0, _explain(helped)
    assert "extract" in helped.stdout

    from_wheel = _agency(
        _run(bin_dir / "govreport", "extract", SAMPLE, "--format", "json", cwd=tmp_path)
    )
    from_tree = _agency(
        _run(
            Path(sys.executable).with_name("govreport"),
            "extract",
            SAMPLE,
            "--format",
            "json",
            cwd=tmp_path,
        )
    )
    assert from_wheel  # an agency was read, so the equality says something
    assert from_wheel == from_tree
