"""The manifests and the SAM template against the application itself: the settings they pass
are settings the app reads, the paths they probe are routes the app serves, the commands they
run are commands the CLI has."""

from __future__ import annotations

import argparse
import secrets
import tomllib

import pytest
from litestar.testing import TestClient

from engine.app import create_app
from engine.cli import build_parser
from engine.settings import Settings, setting_env_names
from tests.infra.infra_support import REPO, by_kind, load_cfn, overlay_names, rendered
from tests.infra.kustomize_lite import Doc, containers

OVERLAYS = overlay_names()


def app_containers(docs: list[Doc]) -> list[Doc]:
    return [c for doc in docs for c in containers(doc) if c.get("command", [""])[0] == "ujian"]


def environment_names(docs: list[Doc]) -> set[str]:
    names: set[str] = set()
    config_maps = by_kind(docs, "ConfigMap")
    for container in app_containers(docs):
        names |= {variable["name"] for variable in container.get("env", [])}
        for source in container.get("envFrom", []):
            names |= set(config_maps[source["configMapRef"]["name"]]["data"])
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_the_manifests_pass_is_a_setting(overlay: str) -> None:
    names = environment_names(rendered(overlay))
    assert len(names) >= 10
    assert names <= set(setting_env_names()), names - set(setting_env_names())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configured_values_parse_as_settings(overlay: str) -> None:
    docs = rendered(overlay)
    environ = dict(by_kind(docs, "ConfigMap")["ujian-config"]["data"])
    [api] = by_kind(docs, "Deployment")["ujian-api"]["spec"]["template"]["spec"]["containers"]
    environ |= {v["name"]: v["value"] for v in api["env"] if "value" in v}
    settings = Settings.from_env(environ)
    assert settings.run_workers_in_api is False
    assert settings.port == api["ports"][0]["containerPort"]
    assert settings.db_pool_min <= settings.db_pool_max


def test_lambda_environment_holds_only_settings_and_powertools_variables() -> None:
    function = load_cfn()["Resources"]["OverflowFunction"]["Properties"]
    variables = set(function["Environment"]["Variables"])
    ujian = {name for name in variables if name.startswith("UJIAN_")}
    assert ujian <= set(setting_env_names())
    assert {"UJIAN_DATABASE_URL", "UJIAN_REDIS_URL"} <= ujian
    assert variables - ujian <= {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
    }


def route_paths() -> set[str]:
    app = create_app(Settings(jwt_secret=secrets.token_urlsafe(48)))
    return {route.path for route in app.routes}


def probed_paths(docs: list[Doc]) -> set[str]:
    paths = set()
    for container in app_containers(docs):
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if probe in container:
                paths.add(container[probe]["httpGet"]["path"])
    return paths


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probe_paths_are_routes_of_the_app(overlay: str) -> None:
    paths = probed_paths(rendered(overlay))
    assert paths == {"/health/live", "/health/ready"}
    assert paths <= route_paths()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_scraped_metrics_path_is_a_route_of_the_app(overlay: str) -> None:
    docs = rendered(overlay)
    scraped = {
        doc["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"]
        for doc in by_kind(docs, "Deployment").values()
    }
    assert scraped == {"/metrics"}
    assert scraped <= route_paths()


def test_probes_need_no_credentials() -> None:
    # the kubelet sends no token; the services are not started here, so readiness says
    # "starting" (not a refusal for want of authentication, nor a server error)
    client = TestClient(create_app(Settings(jwt_secret=secrets.token_urlsafe(48))))
    live = client.get("/health/live")
    assert live.status_code == 200
    assert live.json()["status"] == "ok"
    ready = client.get("/health/ready")
    assert (ready.status_code, ready.json()["status"]) == (503, "starting")


def cli_commands() -> set[str]:
    parser = build_parser()
    [subparsers] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(subparsers.choices)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_container_commands_are_cli_commands(overlay: str) -> None:
    with (REPO / "pyproject.toml").open("rb") as handle:
        scripts = tomllib.load(handle)["project"]["scripts"]
    assert scripts["ujian"] == "engine.cli:main"
    commands = {tuple(c["command"]) for c in app_containers(rendered(overlay))}
    assert commands == {("ujian", "serve"), ("ujian", "worker"), ("ujian", "migrate")}
    assert {sub for _, sub in commands} <= cli_commands()
