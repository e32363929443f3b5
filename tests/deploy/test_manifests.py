"""deploy/: every manifest is valid against Kubernetes' own schemas (kubernetes-validate ships
them: no network) and passes yamllint; the essentials of running many stateless replicas are
there: probes on the right endpoints, resource limits, non-root, read-only root, the database
URL from a Secret, a Service and an HPA that point at the Deployment, settings that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

from evaluator import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MANIFESTS = sorted(
    path for path in [*DEPLOY.glob("*.yaml"), *DEPLOY.glob("examples/*.yaml")]
    if path.name not in ("kustomization.yaml", ".yamllint.yaml")
)
# Kubernetes versions checked: an old one still in wide use and the newest the package knows.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
# Settings read by parts of jseval built alongside (the datasource store, SPEC section 8).
DATASTORE_SETTINGS = {"JSEVAL_DATABASE_URL", "JSEVAL_MASTER_KEY", "JSEVAL_ADMIN_KEYS",
                      "JSEVAL_DATA_DIR"}


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _resource(kind: str, name: str = "jseval") -> dict[str, Any]:
    for path in DEPLOY.glob("*.yaml"):
        for doc in _documents(path):
            if doc.get("kind") == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name} in deploy/")


def test_there_are_manifests() -> None:
    kinds = {doc["kind"] for path in MANIFESTS for doc in _documents(path)}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap",
            "PodDisruptionBudget", "Secret", "StatefulSet", "NetworkPolicy"} <= kinds


@pytest.mark.parametrize("path", MANIFESTS, ids=[str(p.relative_to(DEPLOY)) for p in MANIFESTS])
def test_valid_against_the_kubernetes_schemas(path: Path) -> None:
    for doc in _documents(path):
        for version in VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)  # raises when invalid


def test_yamllint() -> None:
    config = YamlLintConfig(file=str(DEPLOY / ".yamllint.yaml"))
    problems = [
        f"{path.relative_to(DEPLOY)}:{problem.line}: {problem.message}"
        for path in [*MANIFESTS, DEPLOY / "kustomization.yaml"]
        for problem in linter.run(path.read_text(), config)
    ]
    assert problems == []


def test_kustomization_lists_every_top_level_manifest() -> None:
    kustomization = _documents(DEPLOY / "kustomization.yaml")[0]
    top_level = {path.name for path in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == top_level - {".yamllint.yaml"}


def _container() -> dict[str, Any]:
    containers = _resource("Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_probes_point_at_the_services_endpoints() -> None:
    container = _container()
    port = {p["name"]: p["containerPort"] for p in container["ports"]}["http"]
    assert port == 8000
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_resource_limits_and_workers_agree() -> None:
    container = _container()
    limits = container["resources"]["limits"]
    assert {"cpu", "memory"} <= set(limits)
    assert container["resources"]["requests"]["cpu"] == limits["cpu"]
    config = _resource("ConfigMap")["data"]
    # One worker per CPU the container may use (unset, it would be the node's CPU count).
    assert int(config["JSEVAL_WORKERS"]) == int(limits["cpu"])
    memory_mib = int(limits["memory"].removesuffix("Gi")) * 1024
    assert int(config["JSEVAL_WORKERS"]) * int(config["JSEVAL_WORKER_MAX_RSS_MB"]) < memory_mib


def test_runs_as_non_root_with_a_read_only_root() -> None:
    pod = _resource("Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] not in (None, 0)
    assert pod["automountServiceAccountToken"] is False
    container = _container()["securityContext"]
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"]
    mounts = {mount["mountPath"] for mount in _container()["volumeMounts"]}
    assert {"/tmp", "/var/lib/jseval"} <= mounts  # the only places it writes


def test_secrets_come_from_a_secret_and_settings_exist() -> None:
    env = {item["name"]: item for item in _container()["env"]}
    for name in ("JSEVAL_DATABASE_URL", "JSEVAL_MASTER_KEY", "JSEVAL_API_KEYS"):
        assert "secretKeyRef" in env[name]["valueFrom"], name
        assert "value" not in env[name]
    known = {f"JSEVAL_{field.upper()}" for field in Settings.model_fields} | DATASTORE_SETTINGS
    used = set(env) | set(_resource("ConfigMap")["data"])
    assert used <= known, used - known
    secret = _documents(DEPLOY / "examples" / "secret.yaml")[0]
    keys = {item["valueFrom"]["secretKeyRef"]["key"] for item in env.values()}
    assert keys <= set(secret["stringData"])
    assert secret["stringData"]["database-url"].startswith("postgresql://")


def test_the_drain_fits_in_the_grace_period() -> None:
    pod = _resource("Deployment")["spec"]["template"]["spec"]
    pause = int(_container()["lifecycle"]["preStop"]["exec"]["command"][1])
    drain_s = int(_resource("ConfigMap")["data"]["JSEVAL_SHUTDOWN_GRACE_MS"]) / 1000
    assert pod["terminationGracePeriodSeconds"] > pause + drain_s


def test_service_hpa_and_pdb_select_the_deployment() -> None:
    deployment = _resource("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = _resource("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    hpa = _resource("HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                     "name": deployment["metadata"]["name"]}
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    assert deployment["spec"]["replicas"] >= hpa["minReplicas"]
    pdb = _resource("PodDisruptionBudget")["spec"]
    assert pdb["selector"]["matchLabels"].items() <= labels.items()
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
