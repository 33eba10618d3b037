"""The Docker files: compose services, volumes, secrets and healthchecks, and the image's shape.

No Docker engine runs here; `docker compose config` validates the files where the compose
plugin is installed, and these tests read them either way.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"
ENV_EXAMPLE = DOCKER / ".env.example"


def _compose(name: str) -> dict:
    return yaml.safe_load((DOCKER / name).read_text(encoding="utf-8"))


def _compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    return probe.returncode == 0


@pytest.mark.parametrize("name", ["compose.yaml", "compose.cluster.yaml"])
def test_docker_compose_accepts_the_file(name: str) -> None:
    if not _compose_plugin():
        pytest.skip("the docker compose plugin is not installed on this machine")
    result = subprocess.run(
        ["docker", "compose", "-f", str(DOCKER / name), "--env-file", str(ENV_EXAMPLE), "config"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_single_server_stack_wires_app_to_qdrant_and_postgres() -> None:
    compose = _compose("compose.yaml")
    services = compose["services"]
    assert set(services) == {"qdrant", "postgres", "app"}
    assert set(compose["volumes"]) == {"qdrant_storage", "postgres_data", "app_data"}
    assert "qdrant_storage:/qdrant/storage" in services["qdrant"]["volumes"]
    assert "postgres_data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    # Secrets come from the env file and are required, never written in the compose file.
    assert services["qdrant"]["environment"]["QDRANT__SERVICE__API_KEY"].startswith(
        "${QDRANT_API_KEY:?"
    )
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
    app = services["app"]
    env = app["environment"]
    assert env["CARDIORAG_QDRANT_URL"] == "http://qdrant:6333"
    assert env["CARDIORAG_QDRANT_API_KEY"] == "${QDRANT_API_KEY}"
    assert env["CARDIORAG_SQL_URL"].startswith(
        "postgresql+psycopg://cardiorag:${POSTGRES_PASSWORD}@"
    )
    assert app["depends_on"] == {
        "qdrant": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }
    assert app["ports"] == ["127.0.0.1:8501:8501"]  # not on every interface
    for service in services.values():
        assert service["healthcheck"]["test"], service
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"][1]
    assert "_stcore/health" in " ".join(app["healthcheck"]["test"])


def test_cluster_stack_has_three_bootstrapped_nodes_and_replicated_collections() -> None:
    compose = _compose("compose.cluster.yaml")
    services = compose["services"]
    nodes = [f"qdrant-{n}" for n in (1, 2, 3)]
    assert set(services) == {*nodes, "postgres", "app"}
    for node in nodes:
        assert services[node]["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
        assert services[node]["healthcheck"]["test"]
        assert (
            f"{node.replace('-', '_').replace('qdrant', 'qdrant_storage')}:/qdrant/storage"
            in (services[node]["volumes"])
        )
    assert services["qdrant-1"]["command"][-2:] == ["--uri", "http://qdrant-1:6335"]
    for node in nodes[1:]:
        command = services[node]["command"]
        assert command[command.index("--bootstrap") + 1] == "http://qdrant-1:6335"
    env = services["app"]["environment"]
    assert env["CARDIORAG_SERVER__SHARD_NUMBER"] == "6"
    assert env["CARDIORAG_SERVER__REPLICATION_FACTOR"] == "2"
    assert set(services["app"]["depends_on"]) == {*nodes, "postgres"}


def test_cluster_environment_is_valid_cardiorag_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval import Settings

    env = _compose("compose.cluster.yaml")["services"]["app"]["environment"]
    for key, value in env.items():
        if key.startswith("CARDIORAG_SERVER__"):
            monkeypatch.setenv(key, value)
    server = Settings().server
    assert (server.shard_number, server.replication_factor, server.quantization) == (6, 2, "int8")


def test_env_example_names_every_variable_the_files_require() -> None:
    text = "".join((DOCKER / name).read_text() for name in ("compose.yaml", "compose.cluster.yaml"))
    example = ENV_EXAMPLE.read_text()
    for variable in ("QDRANT_API_KEY", "POSTGRES_PASSWORD", "CARDIORAG_UI_PASSWORD"):
        assert variable in text and f"{variable}=" in example


def test_image_is_cpu_torch_offline_non_root_with_a_healthcheck() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in dockerfile
    assert "HF_HUB_OFFLINE=1" in dockerfile
    assert "USER cardio" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    for command in ("ui)", "ingest|adapters)", "benchmarks)"):
        assert command in entrypoint
    syntax = subprocess.run(["sh", "-n", str(DOCKER / "entrypoint.sh")], capture_output=True)
    assert syntax.returncode == 0, syntax.stderr
