"""Cross-object invariants of the rendered Kubernetes manifests (both overlays)."""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.infra_support import by_kind, overlay_names, rendered
from tests.infra.kustomize_lite import Doc, containers, pod_specs, split_image

OVERLAYS = overlay_names()
APP_COMPONENTS = {"ujian-api": "api", "ujian-worker": "worker"}


def cpu_cores(quantity: str | int | float) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def byte_size(quantity: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    match = re.fullmatch(r"(\d+)([kmg]?)", quantity.lower())
    assert match, quantity
    return int(match[1]) * units.get(match[2], 1)


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def pod_labels(doc: Doc) -> dict[str, str]:
    labels: dict[str, str] = doc["spec"]["template"]["metadata"]["labels"]
    return labels


@pytest.fixture(params=OVERLAYS)
def docs(request: pytest.FixtureRequest) -> list[Doc]:
    return rendered(request.param)


# ------------------------------------------------------------------ autoscaling


def test_both_tiers_have_an_hpa_on_cpu_70_percent(docs: list[Doc]) -> None:
    deployments = by_kind(docs, "Deployment")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    assert sorted(hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas.values()) == sorted(
        deployments
    )
    for hpa in hpas.values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["metrics"] == [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70},
                },
            }
        ]
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_hpa_behaviour_is_tuned_for_the_start_of_exam_ramp(docs: list[Doc]) -> None:
    for hpa in by_kind(docs, "HorizontalPodAutoscaler").values():
        up = hpa["spec"]["behavior"]["scaleUp"]
        down = hpa["spec"]["behavior"]["scaleDown"]
        # react at once, and at least double every 15 s
        assert up["stabilizationWindowSeconds"] == 0
        assert up["selectPolicy"] == "Max"
        assert any(
            p["type"] == "Percent" and p["value"] >= 100 and p["periodSeconds"] <= 15
            for p in up["policies"]
        )
        # give capacity back slowly: a lull between sections is not the end of the exam
        assert down["stabilizationWindowSeconds"] >= 300
        assert all(p["type"] == "Percent" and p["value"] <= 20 for p in down["policies"])


def test_deployments_leave_the_replica_count_to_the_hpa(docs: list[Doc]) -> None:
    for deployment in by_kind(docs, "Deployment").values():
        assert "replicas" not in deployment["spec"]


# ------------------------------------------------------------------ pods


def test_every_container_has_requests_and_limits(docs: list[Doc]) -> None:
    checked = 0
    for doc in docs:
        for container in containers(doc):
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), (
                    doc["metadata"]["name"],
                    container["name"],
                    bound,
                )
            checked += 1
    assert checked >= 5


def test_app_pods_have_a_cpu_quota_equal_to_their_request(docs: list[Doc]) -> None:
    # the app's utilisation is its CPU share of the cgroup quota, the same number the HPA reads
    for name in APP_COMPONENTS:
        [container] = by_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
        resources = container["resources"]
        assert cpu_cores(resources["requests"]["cpu"]) == cpu_cores(resources["limits"]["cpu"])
        assert resources["requests"]["memory"] == resources["limits"]["memory"]


def test_granian_processes_fit_the_cpu_request(docs: list[Doc]) -> None:
    config = by_kind(docs, "ConfigMap")["ujian-config"]["data"]
    [api] = by_kind(docs, "Deployment")["ujian-api"]["spec"]["template"]["spec"]["containers"]
    assert 1 <= int(config["UJIAN_WORKERS"]) <= cpu_cores(api["resources"]["requests"]["cpu"])


def test_probes_point_at_the_health_endpoints_on_the_app_port(docs: list[Doc]) -> None:
    config = by_kind(docs, "ConfigMap")["ujian-config"]["data"]
    for name in APP_COMPONENTS:
        deployment = by_kind(docs, "Deployment")[name]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert ports == {"http": int(config["UJIAN_PORT"])}
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["port"] == "http"
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == config["UJIAN_PORT"]
        assert annotations["prometheus.io/path"] == "/metrics"


def test_graceful_shutdown_outlasts_the_pre_stop_delay(docs: list[Doc]) -> None:
    deployments = by_kind(docs, "Deployment")
    api = deployments["ujian-api"]["spec"]["template"]["spec"]
    pre_stop = api["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop >= 5  # endpoint removal must reach the ingress before SIGTERM
    # then granian drains in-flight requests (bounded by the ingress read timeout)
    ingress = by_kind(docs, "Ingress")["ujian"]
    read_timeout = int(
        ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]
    )
    assert api["terminationGracePeriodSeconds"] >= pre_stop + read_timeout
    worker = deployments["ujian-worker"]["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] >= 30
    for deployment in deployments.values():
        rolling = deployment["spec"]["strategy"]["rollingUpdate"]
        assert rolling["maxUnavailable"] == 0


def test_pods_run_restricted(docs: list[Doc]) -> None:
    [namespace] = by_kind(docs, "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in docs:
        for pod_spec in pod_specs(doc):
            assert pod_spec["securityContext"]["runAsNonRoot"] is True
            assert pod_spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
            for container in pod_spec["containers"]:
                context = container["securityContext"]
                assert context["allowPrivilegeEscalation"] is False
                assert context["readOnlyRootFilesystem"] is True
                assert context["capabilities"]["drop"] == ["ALL"]


def test_everything_lives_in_the_overlay_namespace(docs: list[Doc]) -> None:
    [namespace] = by_kind(docs, "Namespace")
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, resource_name(doc)


def resource_name(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


# ------------------------------------------------------------------ images and commands


def app_workloads(docs: list[Doc]) -> list[Doc]:
    return [
        doc
        for doc in docs
        if any(c["command"][:1] == ["ujian"] for c in containers(doc) if "command" in c)
    ]


def test_one_image_runs_api_workers_and_migrations(docs: list[Doc]) -> None:
    workloads = app_workloads(docs)
    commands = sorted(tuple(c["command"]) for doc in workloads for c in containers(doc))
    assert commands == [("ujian", "migrate"), ("ujian", "serve"), ("ujian", "worker")]
    images = {c["image"] for doc in workloads for c in containers(doc)}
    assert len(images) == 1
    name, tag, digest = split_image(images.pop())
    assert name != "ujian", "the overlay must name the registry image"
    assert tag not in {None, "latest"} or digest is not None


def test_migration_job_runs_once_and_gives_up(docs: list[Doc]) -> None:
    job = by_kind(docs, "Job")["ujian-migrate"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["ujian", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] <= 5
    assert job["spec"]["activeDeadlineSeconds"] > 0


# ------------------------------------------------------------------ settings


def app_environment(docs: list[Doc], workload: Doc) -> dict[str, str | None]:
    """Every UJIAN_* variable a workload's container gets: ConfigMap values, literal values,
    and secret references (value None)."""
    [container] = list(containers(workload))
    env: dict[str, str | None] = {}
    config_maps = by_kind(docs, "ConfigMap")
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, "only ConfigMaps are loaded wholesale"
        env.update(config_maps[source["configMapRef"]["name"]]["data"])
    for variable in container.get("env", []):
        env[variable["name"]] = variable.get("value")
    return env


def test_secrets_are_referenced_never_committed(docs: list[Doc]) -> None:
    assert by_kind(docs, "Secret") == {}
    references = 0
    for doc in app_workloads(docs):
        for container in containers(doc):
            for variable in container.get("env", []):
                if "valueFrom" in variable:
                    ref = variable["valueFrom"]["secretKeyRef"]
                    assert ref["name"] == "ujian-secrets"
                    assert ref["key"] == variable["name"]
                    assert ref.get("optional", False) is False
                    references += 1
    assert references >= 5


def test_every_app_pod_is_pointed_at_real_servers(docs: list[Doc]) -> None:
    # without both URLs the app would start its embedded PostgreSQL and Redis inside the pod
    for doc in app_workloads(docs):
        env = app_environment(docs, doc)
        assert "UJIAN_DATABASE_URL" in env and "UJIAN_REDIS_URL" in env, resource_name(doc)
        assert env["UJIAN_HOST"] == "0.0.0.0"


def test_api_pods_do_not_run_the_consumers(docs: list[Doc]) -> None:
    env = app_environment(docs, by_kind(docs, "Deployment")["ujian-api"])
    assert env["UJIAN_RUN_WORKERS_IN_API"] == "false"
    assert env["UJIAN_JWT_SECRET"] is None  # from the Secret


def test_ingress_body_limit_matches_the_app_limit(docs: list[Doc]) -> None:
    config = by_kind(docs, "ConfigMap")["ujian-config"]["data"]
    ingress = by_kind(docs, "Ingress")["ujian"]
    limit = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert byte_size(limit) == int(config["UJIAN_MAX_BODY_BYTES"])


# ------------------------------------------------------------------ wiring


def test_selectors_pick_the_right_pods(docs: list[Doc]) -> None:
    deployments = by_kind(docs, "Deployment")
    for deployment in deployments.values():
        assert labels_match(deployment["spec"]["selector"]["matchLabels"], pod_labels(deployment))

    def selected(selector: dict[str, str]) -> list[str]:
        return sorted(
            name for name, d in deployments.items() if labels_match(selector, pod_labels(d))
        )

    for name, pdb in by_kind(docs, "PodDisruptionBudget").items():
        assert selected(pdb["spec"]["selector"]["matchLabels"]) == [name]
        assert "maxUnavailable" in pdb["spec"]
    [service] = by_kind(docs, "Service").values()
    assert selected(service["spec"]["selector"]) == ["ujian-api"]


def test_ingress_routes_to_the_api_service_port(docs: list[Doc]) -> None:
    services = by_kind(docs, "Service")
    [ingress] = by_kind(docs, "Ingress").values()
    [api] = by_kind(docs, "Deployment")["ujian-api"]["spec"]["template"]["spec"]["containers"]
    container_ports = {port["name"] for port in api["ports"]}
    hosts = set()
    for rule in ingress["spec"]["rules"]:
        hosts.add(rule["host"])
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            service = services[backend["name"]]
            [port] = [p for p in service["spec"]["ports"] if p["name"] == backend["port"]["name"]]
            assert port["targetPort"] in container_ports
    assert hosts == {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}


def test_network_policies_deny_by_default_and_open_what_the_app_needs(docs: list[Doc]) -> None:
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny and "egress" not in deny

    deployments = by_kind(docs, "Deployment")
    api_labels = pod_labels(deployments["ujian-api"])
    worker_labels = pod_labels(deployments["ujian-worker"])

    def ports(direction: str, labels: dict[str, str]) -> set[int]:
        found = set()
        for policy in policies.values():
            spec = policy["spec"]
            if (
                labels_match(spec["podSelector"].get("matchLabels", {}), labels)
                and spec["podSelector"]
            ):
                for rule in spec.get(direction, []):
                    found |= {port["port"] for port in rule.get("ports", [])}
        return found

    assert 8000 in ports("ingress", api_labels)
    for labels in (api_labels, worker_labels):
        assert {53, 5432, 6379, 443} <= ports("egress", labels)


def test_prescale_jobs_patch_the_hpas_within_their_bounds(docs: list[Doc]) -> None:
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    cron_jobs = by_kind(docs, "CronJob")
    assert sorted(cron_jobs) == ["ujian-prescale-down", "ujian-prescale-up"]
    [role] = by_kind(docs, "Role").values()
    [binding] = by_kind(docs, "RoleBinding").values()
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    [rule] = role["rules"]
    assert rule["resources"] == ["horizontalpodautoscalers"]
    assert set(rule["verbs"]) == {"get", "patch"}
    minimums: dict[str, dict[str, int]] = {}
    for name, cron_job in cron_jobs.items():
        assert cron_job["spec"]["concurrencyPolicy"] == "Forbid"
        pod_spec = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert {
            "kind": "ServiceAccount",
            "name": pod_spec["serviceAccountName"],
            "namespace": cron_job["metadata"]["namespace"],
        } in binding["subjects"]
        for container in pod_spec["containers"]:
            verb, kind, target, merge, flag, patch = container["args"]
            assert (verb, kind, merge, flag) == ("patch", "hpa", "--type=merge", "-p")
            assert target in rule["resourceNames"]
            minimums.setdefault(name, {})[target] = json.loads(patch)["spec"]["minReplicas"]
    assert set(minimums["ujian-prescale-up"]) == set(hpas) == set(rule["resourceNames"])
    for target, hpa in hpas.items():
        # down restores the overlay's everyday floor; up stays within the ceiling
        assert minimums["ujian-prescale-down"][target] == hpa["spec"]["minReplicas"]
        up = minimums["ujian-prescale-up"][target]
        assert hpa["spec"]["minReplicas"] <= up <= hpa["spec"]["maxReplicas"]
