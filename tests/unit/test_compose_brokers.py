"""docker-compose.yml's three-broker mode (profile three-brokers, docker/three-brokers.env) read as compose
would resolve it, and checked against what a KRaft quorum of three and the project's topics need; the default
stays one broker. No Docker engine is needed (see test_compose.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.config import from_env
from tests.unit.test_compose import ROOT, app_services, depends_on, interpolate, load_compose

ENV_FILE = ROOT / "docker" / "three-brokers.env"
BROKERS = ("kafka", "kafka-2", "kafka-3")


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def resolved(service: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    return {str(k): interpolate(v, env) for k, v in (service.get("environment") or {}).items()}


def active(data: dict[str, Any], env: dict[str, str]) -> set[str]:
    """The services `docker compose up` starts with COMPOSE_PROFILES from `env`."""
    profiles = set(filter(None, env.get("COMPOSE_PROFILES", "").split(",")))
    return {name for name, svc in data["services"].items()
            if not svc.get("profiles") or profiles & set(svc["profiles"])}


def broker_problems(data: dict[str, Any], env: dict[str, str]) -> list[str]:
    problems = []
    services = data["services"]
    nodes = {name: resolved(services[name], env) for name in BROKERS}
    voters = {node["KAFKA_CONTROLLER_QUORUM_VOTERS"] for node in nodes.values()}
    if len(voters) != 1:
        problems.append(f"the brokers disagree on the quorum: {voters}")
    expected_voters = ",".join(f"{node['KAFKA_NODE_ID']}@{name}:9093" for name, node in nodes.items())
    if voters != {expected_voters}:
        problems.append(f"quorum {voters} is not every node's controller ({expected_voters})")
    if len({node["KAFKA_NODE_ID"] for node in nodes.values()}) != 3:
        problems.append("node ids are not distinct")
    if len({node["CLUSTER_ID"] for node in nodes.values()}) != 1:
        problems.append("the brokers are not one cluster")
    for name, node in nodes.items():
        if node["KAFKA_ADVERTISED_LISTENERS"] != f"PLAINTEXT://{name}:9092":
            problems.append(f"{name} advertises {node['KAFKA_ADVERTISED_LISTENERS']}")
        for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR"):
            if node[key] != "3":
                problems.append(f"{name}: {key} is {node[key]}, not 3")
        for key in ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR"):
            if node[key] != "2":
                problems.append(f"{name}: {key} is {node[key]}, not 2")
    volumes = [tuple(services[name].get("volumes", [])) for name in BROKERS]
    if len(set(volumes)) != 3:
        problems.append("two brokers share a data volume")
    for name in BROKERS:
        if name not in active(data, env):
            problems.append(f"{name} does not start in this mode")
    for name, svc in app_services(data).items():
        app_env = resolved(svc, env)
        bootstrap = set(app_env["KAFKA_BOOTSTRAP_SERVERS"].split(","))
        if bootstrap != {f"{broker}:9092" for broker in BROKERS}:
            problems.append(f"{name} bootstraps from {sorted(bootstrap)}")
        config = from_env("registration", app_env)
        if (config.topic_replication, config.topic_min_insync) != (3, 2):
            problems.append(f"{name}: topics with {config.topic_replication} replicas, {config.topic_min_insync} "
                            "in sync")
    waits = depends_on(services["topics"])
    if any(waits.get(name) != "service_healthy" for name in BROKERS):
        problems.append("topics (replication 3) does not wait for every broker")
    return problems


def test_three_brokers_profile() -> None:
    assert broker_problems(load_compose(), env_file(ENV_FILE)) == []


def test_default_stays_one_broker() -> None:
    data = load_compose()
    assert active(data, {}) & set(BROKERS) == {"kafka"}
    kafka = resolved(data["services"]["kafka"], {})
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    for svc in app_services(data).values():
        config = from_env("registration", resolved(svc, {}))
        assert (config.kafka_bootstrap_servers, config.topic_replication, config.topic_min_insync) == (
            "kafka:9092", 1, 1)
    # the optional waits of the one-shot topics do not hold up a single-broker start
    assert all(data["services"]["topics"]["depends_on"][name].get("required") is False for name in BROKERS[1:])


def test_checks_detect_a_broken_three_broker_mode() -> None:
    env = env_file(ENV_FILE)
    assert broker_problems(load_compose(), env | {"KAFKA_QUORUM_VOTERS": "1@kafka:9093,2@kafka-2:9093"})
    assert broker_problems(load_compose(), env | {"TIENPHONG_TOPIC_REPLICATION": "1"})
    assert broker_problems(load_compose(), env | {"KAFKA_INTERNAL_MIN_ISR": "1"})
    data = load_compose()
    data["services"]["kafka-3"]["volumes"] = data["services"]["kafka-2"]["volumes"]
    assert broker_problems(data, env)
