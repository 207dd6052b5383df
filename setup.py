"""Build hook: the gRPC stubs of proto/govreport/v1 are generated into the wheel.

The stubs are not in git (``make proto-gen`` writes them into the git-ignored
server/govreport/v1/), so a wheel built from a clean checkout, as ``pip install
git+…`` and ``pip install .`` build it, would lack them and ``govreport`` could
not start. Everything else about the package is declared in pyproject.toml.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from importlib import resources
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
PROTO_ROOT = ROOT / "proto"
SERVICE_CONFIG = PROTO_ROOT / "govreport" / "v1" / "service_config.json"
STUB_MARKER = "service_pb2.py"


def _protos() -> list[Path]:
    protos = sorted((PROTO_ROOT / "govreport" / "v1").glob("*.proto"))
    if not protos:
        raise RuntimeError(f"no .proto files under {PROTO_ROOT / 'govreport' / 'v1'}")
    return protos


def _mypy_plugins() -> tuple[Path, Path] | None:
    # Only mypy-protobuf installed for this very interpreter: the plugin scripts beside it run
    # with it. A build-isolated interpreter sees no mypy_protobuf even where the scripts of the
    # venv it was started from are on disk, and they would fail there.
    if importlib.util.find_spec("mypy_protobuf") is None:
        return None
    scripts = Path(sys.executable).parent
    plugins = scripts / "protoc-gen-mypy", scripts / "protoc-gen-mypy_grpc"
    return plugins if all(plugin.is_file() for plugin in plugins) else None


def generate_stubs(out_root: Path) -> None:
    """Writes ``govreport/v1/*_pb2.py`` and ``*_pb2_grpc.py`` under ``out_root``.

    Same invocation as ``make proto-gen`` (``-Iproto``, outputs at the package root), so the
    modules import each other as ``from govreport.v1 import …``. The .pyi files come too when
    mypy-protobuf is installed: they are for type checkers, the wheel works without them.
    """
    # From [build-system].requires; imported here so that setup.py loads without it.
    from grpc_tools import protoc

    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_root}",
        f"--grpc_python_out={out_root}",
    ]
    plugins = _mypy_plugins()
    if plugins is not None:
        mypy_plugin, mypy_grpc_plugin = plugins
        args += [
            f"--plugin=protoc-gen-mypy={mypy_plugin}",
            f"--plugin=protoc-gen-mypy_grpc={mypy_grpc_plugin}",
            f"--mypy_out={out_root}",
            f"--mypy_grpc_out={out_root}",
        ]
    (out_root / "govreport" / "v1").mkdir(parents=True, exist_ok=True)
    status = protoc.main([*args, *(str(proto) for proto in _protos())])
    if status != 0:
        raise RuntimeError(f"grpc_tools.protoc failed with status {status}")
    # The gRPC service config (retries) every client loads, beside the stubs.
    shutil.copy2(SERVICE_CONFIG, out_root / "govreport" / "v1" / SERVICE_CONFIG.name)


class build_py_with_stubs(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            # An editable install imports from the source tree, so the stubs must be there;
            # ones already there (from `make proto-gen`, with their .pyi) are kept as they are.
            source_root = ROOT / Path(self.get_package_dir("govreport")).parent
            if not (source_root / "govreport" / "v1" / STUB_MARKER).exists():
                generate_stubs(source_root)
        else:
            # Always regenerated, also over stubs copied from a working tree: the wheel's stubs
            # then match the protos and this build's grpcio-tools, never a stale local copy.
            # Package discovery cannot list govreport.v1 in a clean checkout (its folder does
            # not exist yet), and need not: install_lib copies all of build_lib into the wheel.
            generate_stubs(Path(self.build_lib))


class sdist_with_protos(sdist):
    # proto/ is no package, so an sdist would otherwise lack what the wheel is built from.
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        # All of proto/: ours, the vendored google/ imports, the service config.
        for proto in sorted(p for p in PROTO_ROOT.rglob("*") if p.is_file()):
            target = Path(base_dir) / proto.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(proto, target)


setup(cmdclass={"build_py": build_py_with_stubs, "sdist": sdist_with_protos})
