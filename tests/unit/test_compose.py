"""docker-compose.yml, Dockerfile and docker/postgres-init.sql checked against the code they run.

No Docker engine is needed: the compose file is read with PyYAML (which resolves its anchors and merge
keys) and every claim it makes is compared with the project itself: the `tienphong` CLI parser, the
service ports in shared.config, the environment variables the source reads, the databases that
`database_url_for` names. Each check is a function returning a list of problems; the last tests feed
deliberately broken copies to those functions to show that they do fail.
"""

from __future__ import annotations

import argparse
import copy
import fnmatch
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from shared.config import SERVICE_PORTS, database_url_for
from tienphong.cli import parser
from tienphong.supervisor import PROCESSES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
SOURCE_DIRS = ("shared", "services", "tienphong")
APP_IMAGE = "tienphong:latest"
ONE_SHOT = ("migrate", "topics")
DATABASES = (*SERVICE_PORTS, "access")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}

Compose = dict[str, Any]


# --- helpers -------------------------------------------------------------------------------------

def load_compose() -> Compose:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), "no services in compose file"
    return data


@pytest.fixture(scope="module")
def compose() -> Compose:
    return load_compose()


def interpolate(value: Any, env: dict[str, str] | None = None) -> str:
    """Compose variable substitution for ${VAR}, ${VAR:-default}, ${VAR-default} and $$ (no env set)."""
    env = env or {}

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, default = match.group(1), match.group(2), match.group(3) or ""
        if op == ":-":
            return env.get(name) or default
        if op == "-":
            return env.get(name, default)
        return env.get(name, "")

    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}", sub, str(value))


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): interpolate(v) for k, v in env.items()}


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command")
    if cmd is None:
        return []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def app_services(data: Compose) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in data["services"].items()
            if svc.get("image") == APP_IMAGE or "build" in svc}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def healthcheck_text(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list):
        return " ".join(str(part) for part in test[1:]) if test and test[0] in ("CMD", "CMD-SHELL") else ""
    return str(test or "")


def has_healthcheck(service: dict[str, Any]) -> bool:
    check = service.get("healthcheck") or {}
    return bool(check.get("test")) and not check.get("disable") and check["test"] != ["NONE"]


def published_ports(service: dict[str, Any]) -> set[tuple[str, str]]:
    """(host port, container port) pairs from short ("8001:8001", "127.0.0.1:8001:8001") or long syntax."""
    pairs = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            pairs.add((str(port.get("published", "")), str(port.get("target", ""))))
        else:
            parts = str(port).split("/")[0].split(":")
            pairs.add((parts[-2] if len(parts) > 1 else "", parts[-1]))
    return pairs


def env_vars_read_by_project() -> set[str]:
    """Every upper-case name looked up in os.environ / an env dict anywhere in the project's source."""
    name = r"""\s*["']([A-Z][A-Z0-9_]*)["']"""
    call = re.compile(r"(?:\benviron|\bgetenv|\benv)(?:\.(?:get|setdefault|pop))?\(" + name)
    item = re.compile(r"(?:\benviron|\benv)\[" + name + r"\s*\]")
    names: set[str] = set()
    for top in SOURCE_DIRS:
        for path in (ROOT / top).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in (call, item):
                names.update(pattern.findall(text))
    return names


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending:
        lines.append(pending)
    result = []
    for line in lines:
        word, _, rest = line.partition(" ")
        result.append((word.upper(), rest.strip()))
    return result


def dockerfile_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions:
        if word == "ENV":
            for token in shlex.split(rest):
                if "=" in token:
                    key, value = token.split("=", 1)
                    env[key] = value
    return env


def subcommands() -> dict[str, argparse.ArgumentParser]:
    for action in parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the tienphong parser has no subcommands")


# --- checks (each returns a list of problems) ------------------------------------------------------

def check_commands(data: Compose) -> list[str]:
    problems = []
    known = subcommands()
    for name, svc in app_services(data).items():
        cmd = command(svc)
        if not cmd:
            problems.append(f"{name}: no command (the image's CMD is only --help)")
            continue
        if cmd[0] not in known:
            problems.append(f"{name}: {cmd[0]!r} is not a tienphong subcommand ({sorted(known)})")
            continue
        try:
            parser().parse_args(cmd)
        except SystemExit:
            problems.append(f"{name}: `tienphong {' '.join(cmd)}` is rejected by the CLI parser")
    return problems


def check_processes_covered(data: Compose) -> list[str]:
    """Every process `tienphong run` supervises has a compose service, and so do the one-shots; the
    migrate service migrates every service's database (no arguments, or all of them)."""
    commands = {tuple(command(svc)) for svc in app_services(data).values()}
    problems = [f"no compose service runs `tienphong {' '.join(argv)}`"
                for argv in (tuple(argv) for _, argv in PROCESSES) if argv not in commands]
    for one in ONE_SHOT:
        if not any(cmd[:1] == (one,) for cmd in commands):
            problems.append(f"no compose service runs `tienphong {one}`")
    for cmd in commands:
        if cmd[:1] == ("migrate",) and set(cmd[1:]) not in (set(), set(SERVICE_PORTS)):
            problems.append(f"`tienphong {' '.join(cmd)}` leaves out some service databases")
    return problems


def check_serve_ports(data: Compose) -> list[str]:
    problems = []
    for name, svc in app_services(data).items():
        cmd = command(svc)
        if cmd[:1] != ["serve"] or len(cmd) < 2 or cmd[1] not in SERVICE_PORTS:
            continue
        port = str(SERVICE_PORTS[cmd[1]])
        env = environment(svc)
        if env.get("PORT") != port:
            problems.append(f"{name}: PORT is {env.get('PORT')!r}, {cmd[1]} listens on {port}")
        if "--port" in cmd:
            problems.append(f"{name}: --port overrides PORT; use PORT only")
        if (port, port) not in published_ports(svc):
            problems.append(f"{name}: does not publish {port}:{port} (has {sorted(published_ports(svc))})")
        text = healthcheck_text(svc)
        if not re.search(rf"https?://(127\.0\.0\.1|localhost):{port}/readyz\b", text):
            problems.append(f"{name}: healthcheck does not GET /readyz on its own port {port}: {text!r}")
        test = (svc.get("healthcheck") or {}).get("test") or []
        if isinstance(test, list) and test[:3] == ["CMD", "python", "-c"]:
            try:
                compile(test[3], f"{name} healthcheck", "exec")
            except (SyntaxError, IndexError) as exc:
                problems.append(f"{name}: healthcheck snippet does not compile: {exc}")
        if re.search(r"\b(curl|wget)\b", text):
            problems.append(f"{name}: healthcheck uses curl/wget, absent from python:3.11-slim")
    return problems


def check_bind(data: Compose, image_env: dict[str, str]) -> list[str]:
    problems = []
    for name, svc in app_services(data).items():
        if command(svc)[:1] == ["serve"]:
            bind = environment(svc).get("TIENPHONG_BIND", image_env.get("TIENPHONG_BIND", "127.0.0.1"))
            if bind != "0.0.0.0":
                problems.append(f"{name}: gunicorn binds {bind}, unreachable through the published port")
    return problems


def check_environment_names(data: Compose, known: set[str]) -> list[str]:
    problems = []
    for name, svc in app_services(data).items():
        for var in environment(svc):
            if var not in known:
                problems.append(f"{name}: {var} is not read anywhere in {', '.join(SOURCE_DIRS)}")
    return problems


def check_database_and_kafka(data: Compose, init_sql: str) -> list[str]:
    problems = []
    services = data["services"]
    created = {m.lower() for m in re.findall(r"create\s+database\s+\"?(\w+)\"?", init_sql, re.IGNORECASE)}
    pg_env = environment(services.get("postgres", {}))
    advertised = environment(services.get("kafka", {})).get("KAFKA_ADVERTISED_LISTENERS", "")
    for name, svc in app_services(data).items():
        env = environment(svc)
        template = env.get("DATABASE_URL", "")
        if "{service}" not in template:
            problems.append(f"{name}: DATABASE_URL {template!r} has no {{service}}: one DB for all")
            continue
        for db in DATABASES:
            url = make_url(database_url_for(db, template, Path("/unused")))
            if url.host not in services:
                problems.append(f"{name}: DATABASE_URL host {url.host!r} is not a compose service")
            if url.database is None or url.database.lower() not in created:
                problems.append(f"{name}: database {url.database!r} ({db}) is not created by the init script")
            if url.username != pg_env.get("POSTGRES_USER") or url.password != pg_env.get("POSTGRES_PASSWORD"):
                problems.append(f"{name}: DATABASE_URL credentials differ from the postgres service's")
            if not url.drivername.startswith("postgresql"):
                problems.append(f"{name}: DATABASE_URL driver {url.drivername!r} is not PostgreSQL")
        bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS", "")
        for server in filter(None, bootstrap.split(",")):
            host = server.rsplit(":", 1)[0]
            if host not in services:
                problems.append(f"{name}: Kafka bootstrap host {host!r} is not a compose service")
            if f"//{server}" not in advertised:
                problems.append(f"{name}: bootstrap {server!r} is not among kafka's advertised listeners")
        if not bootstrap:
            problems.append(f"{name}: KAFKA_BOOTSTRAP_SERVERS unset (defaults to 127.0.0.1:9092)")
    return problems


def check_depends_on(data: Compose) -> list[str]:
    problems = []
    services = data["services"]
    for name, svc in services.items():
        for target, condition in depends_on(svc).items():
            if target not in services:
                problems.append(f"{name}: depends on unknown service {target!r}")
                continue
            if condition not in CONDITIONS:
                problems.append(f"{name}: unknown depends_on condition {condition!r}")
            if condition == "service_healthy" and not has_healthcheck(services[target]):
                problems.append(f"{name}: waits for {target} healthy, but {target} has no healthcheck")
            restart = services[target].get("restart", "no")
            if condition == "service_completed_successfully" and restart != "no":
                problems.append(f"{name}: waits for {target} to complete, but {target} restarts "
                                f"({services[target].get('restart')!r}); it must be restart: \"no\"")
    for name, svc in app_services(data).items():
        if command(svc)[:1] and command(svc)[0] in ONE_SHOT:
            if svc.get("restart") != "no":
                problems.append(f"{name}: one-shot command must have restart: \"no\"")
            continue
        deps = depends_on(svc)
        for one in ONE_SHOT:
            if deps.get(one) != "service_completed_successfully":
                problems.append(f"{name}: must wait for {one} to complete successfully")
        if deps.get("kafka") != "service_healthy":
            problems.append(f"{name}: must wait for kafka to be healthy")
    return problems


def check_kafka(data: Compose) -> list[str]:
    problems = []
    kafka = data["services"].get("kafka")
    if kafka is None:
        return ["no kafka service"]
    if not re.fullmatch(r"apache/kafka:4\.\d+(\.\d+)?", str(kafka.get("image", ""))):
        problems.append(f"kafka image {kafka.get('image')!r} is not apache/kafka:4.x")
    env = environment(kafka)
    expected = {
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LOG_RETENTION_MS": "-1",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
    }
    for key, value in expected.items():
        if env.get(key, "").lower() != value.lower():
            problems.append(f"kafka: {key} is {env.get(key)!r}, expected {value!r}")
    node_id = env.get("KAFKA_NODE_ID", "")
    if f"{node_id}@kafka:9093" not in env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", ""):
        problems.append("kafka: the quorum voters do not name this node's controller listener")
    if "PLAINTEXT://kafka:9092" not in env.get("KAFKA_ADVERTISED_LISTENERS", ""):
        problems.append("kafka: not advertised as PLAINTEXT://kafka:9092")
    if "-Xmx" not in env.get("KAFKA_HEAP_OPTS", ""):
        problems.append("kafka: no maximum heap in KAFKA_HEAP_OPTS")
    text = healthcheck_text(kafka)
    if not re.search(r"/opt/kafka/bin/kafka-(broker-api-versions|topics)\.sh .*--bootstrap-server", text):
        problems.append(f"kafka: healthcheck does not query the broker: {text!r}")
    log_dirs = env.get("KAFKA_LOG_DIRS", "/tmp/kraft-combined-logs")
    targets = [str(v).split(":")[1] if isinstance(v, str) else v.get("target")
               for v in kafka.get("volumes", [])]
    if log_dirs not in targets:
        problems.append(f"kafka: log dir {log_dirs} is not on a volume ({targets})")
    return problems


def check_postgres(data: Compose) -> tuple[list[str], str]:
    problems = []
    pg = data["services"].get("postgres")
    if pg is None:
        return ["no postgres service"], ""
    if not str(pg.get("image", "")).startswith("postgres:15"):
        problems.append(f"postgres image {pg.get('image')!r} is not postgres:15")
    if "pg_isready" not in healthcheck_text(pg):
        problems.append("postgres: healthcheck does not use pg_isready")
    init_sql = ""
    for volume in pg.get("volumes", []):
        source, _, target = str(volume).partition(":")
        if target.startswith("/docker-entrypoint-initdb.d"):
            path = (COMPOSE_FILE.parent / source).resolve()
            if not path.is_file():
                problems.append(f"postgres: init script {source} does not exist")
            else:
                init_sql += path.read_text(encoding="utf-8")
    if not init_sql:
        problems.append("postgres: nothing mounted into /docker-entrypoint-initdb.d")
    user = environment(pg).get("POSTGRES_USER", "postgres")
    for db in DATABASES:
        if not re.search(rf"create\s+database\s+\"?tienphong_{db}\"?\s+owner\s+\"?{user}\"?", init_sql,
                         re.IGNORECASE):
            problems.append(f"postgres: init script does not create tienphong_{db} owned by {user}")
    return problems, init_sql


def check_dockerfile(text: str, ignore_patterns: list[str]) -> list[str]:
    problems = []
    instructions = dockerfile_instructions(text)
    words = [word for word, _ in instructions]
    froms = [rest for word, rest in instructions if word == "FROM"]
    if not froms or not froms[-1].startswith("python:3.11-slim"):
        problems.append(f"Dockerfile: final stage is {froms[-1:]} rather than python:3.11-slim")
    copied = []
    for word, rest in instructions:
        if word not in ("COPY", "ADD"):
            continue
        parts = [p for p in shlex.split(rest) if not p.startswith("--")]
        if any(p.startswith("--from") for p in shlex.split(rest)):
            continue
        for source in parts[:-1]:
            copied.append(source.rstrip("/"))
            if not (ROOT / source).exists():
                problems.append(f"Dockerfile: COPY source {source} does not exist")
            for pattern in ignore_patterns:
                if not pattern.startswith("!") and fnmatch.fnmatch(source.rstrip("/"), pattern.rstrip("/")):
                    problems.append(f"Dockerfile: COPY source {source} is in .dockerignore ({pattern})")
    for needed in ("pyproject.toml", "README.md", *SOURCE_DIRS):
        if needed not in copied:
            problems.append(f"Dockerfile: {needed} is not copied into the image")
    if not any(word == "RUN" and re.search(r"\bpip install\b[^&;]*\s\.(\s|$)", rest)
               for word, rest in instructions):
        problems.append("Dockerfile: the project is not pip-installed")
    users = [rest for word, rest in instructions if word == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("Dockerfile: the image runs as root")
    if "USER" in words and words.index("USER") < max(i for i, w in enumerate(words) if w == "RUN"):
        problems.append("Dockerfile: RUN after USER would run unprivileged (install first)")
    if dockerfile_env(instructions).get("TIENPHONG_BIND") != "0.0.0.0":
        problems.append("Dockerfile: ENV TIENPHONG_BIND=0.0.0.0 is missing")
    entry = [rest for word, rest in instructions if word == "ENTRYPOINT"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    try:
        entry_argv = json.loads(entry[-1]) if entry else None
    except json.JSONDecodeError:
        entry_argv = None
    if entry_argv != ["tienphong"] or scripts.get("tienphong") != "tienphong.cli:main":
        problems.append(f"Dockerfile: ENTRYPOINT {entry} is not the exec-form tienphong console script")
    return problems


def read_dockerignore() -> list[str]:
    if not DOCKERIGNORE.is_file():
        return []
    return [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.strip().startswith("#")]


# --- tests ---------------------------------------------------------------------------------------

def test_app_services_are_the_expected_processes(compose: Compose) -> None:
    assert set(app_services(compose)) == {
        "migrate", "topics", "registration", "support", "reporting", "gateway",
        "relay-registration", "relay-support", "consumer-reporting", "consumer-support",
    }
    for name, svc in app_services(compose).items():
        assert svc.get("image") == APP_IMAGE, name
        build = svc.get("build") or {}
        assert (COMPOSE_FILE.parent / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
                ).resolve() == DOCKERFILE, name


def test_commands_are_accepted_by_the_cli(compose: Compose) -> None:
    assert check_commands(compose) == []


def test_every_supervised_process_has_a_service(compose: Compose) -> None:
    assert check_processes_covered(compose) == []


def test_http_services_port_and_readiness_healthcheck(compose: Compose) -> None:
    assert check_serve_ports(compose) == []
    serving = {command(svc)[1] for svc in app_services(compose).values() if command(svc)[:1] == ["serve"]}
    assert serving == set(SERVICE_PORTS)


def test_http_services_bind_all_interfaces(compose: Compose) -> None:
    image_env = dockerfile_env(dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")))
    assert check_bind(compose, image_env) == []


def test_environment_variables_are_read_by_the_project(compose: Compose) -> None:
    known = env_vars_read_by_project()
    # the collector must see what shared/config.py and gunicorn_conf.py read, or the check is vacuous
    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "TIENPHONG_SECRET_KEY", "PORT", "TIENPHONG_BIND",
            "GUNICORN_THREADS", "TIENPHONG_CONSUMER_GROUP"} <= known
    assert check_environment_names(compose, known) == []


def test_database_urls_and_kafka_bootstrap_point_at_compose_services(compose: Compose) -> None:
    problems, init_sql = check_postgres(compose)
    assert problems == []
    assert check_database_and_kafka(compose, init_sql) == []


def test_depends_on(compose: Compose) -> None:
    assert check_depends_on(compose) == []


def test_kafka_service(compose: Compose) -> None:
    assert check_kafka(compose) == []


def test_dockerfile() -> None:
    assert DOCKERFILE.is_file()
    assert check_dockerfile(DOCKERFILE.read_text(encoding="utf-8"), read_dockerignore()) == []


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    patterns = read_dockerignore()
    for path in (".venv", "data", ".git", "**/__pycache__", ".pytest_cache"):
        assert path in patterns, path


# --- the checks can fail ---------------------------------------------------------------------------

def _broken(compose: Compose) -> Compose:
    return copy.deepcopy(compose)


def test_checks_detect_broken_compose(compose: Compose) -> None:
    data = _broken(compose)
    data["services"]["relay-support"]["command"] = ["relay", "reporting"]  # no outbox in reporting
    data["services"]["topics"]["command"] = "topic"
    assert len(check_commands(data)) == 2
    assert check_processes_covered(data)

    data = _broken(compose)
    data["services"]["support"]["environment"]["PORT"] = "8003"
    data["services"]["reporting"]["ports"] = ["8003:8002"]
    data["services"]["registration"]["healthcheck"]["test"] = ["CMD", "curl", "-f", "http://127.0.0.1:8001/"]
    problems = check_serve_ports(data)
    assert any(p.startswith("support: PORT") for p in problems)
    assert any(p.startswith("reporting: does not publish") for p in problems)
    assert any("registration: healthcheck" in p and "readyz" in p for p in problems)
    assert any("curl" in p for p in problems)

    data = _broken(compose)
    data["services"]["registration"]["environment"]["TIENPHONG_BIND"] = "127.0.0.1"
    assert check_bind(data, {"TIENPHONG_BIND": "0.0.0.0"})
    data["services"]["consumer-support"]["environment"] = {"KAFKA_BROKERS": "kafka:9092"}
    assert check_environment_names(data, env_vars_read_by_project()) == [
        "consumer-support: KAFKA_BROKERS is not read anywhere in shared, services, tienphong"]

    data = _broken(compose)
    data["services"]["relay-registration"]["depends_on"] = {"kafak": {"condition": "service_healthy"}}
    # anchored mappings are shared between services after loading: replace them, do not mutate
    deps = dict(data["services"]["consumer-reporting"]["depends_on"], migrate={"condition": "service_done"})
    data["services"]["consumer-reporting"]["depends_on"] = deps
    data["services"]["migrate"]["restart"] = "on-failure"
    del data["services"]["postgres"]["healthcheck"]
    problems = check_depends_on(data)
    assert any("unknown service 'kafak'" in p for p in problems)
    assert any("'service_done'" in p for p in problems)
    assert any("migrate restarts" in p for p in problems)
    assert "migrate: one-shot command must have restart: \"no\"" in problems
    assert any("postgres has no healthcheck" in p for p in problems)

    data = _broken(compose)
    data["services"]["kafka"]["image"] = "apache/kafka:3.9.1"
    data["services"]["kafka"]["environment"]["KAFKA_LOG_RETENTION_MS"] = 604800000
    assert len(check_kafka(data)) == 2

    data = _broken(compose)
    data["services"]["registration"]["environment"]["DATABASE_URL"] = (
        "postgresql+psycopg://tienphong:tienphong@db:5432/tienphong_{service}")
    data["services"]["support"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] = "localhost:9092"
    problems = check_database_and_kafka(data, "CREATE DATABASE tienphong_registration OWNER tienphong;")
    assert any(p.startswith("registration: DATABASE_URL host 'db'") for p in problems)
    assert any("tienphong_access" in p for p in problems)
    assert any(p.startswith("support: Kafka bootstrap host 'localhost'") for p in problems)


def test_checks_detect_broken_dockerfile() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert check_dockerfile(text.replace("COPY services/ services/", "COPY servicez/ services/"), [])
    assert check_dockerfile(text, ["services"])
    assert check_dockerfile(re.sub(r"(?m)^USER .*$", "USER root", text), [])
    assert check_dockerfile(text.replace('ENTRYPOINT ["tienphong"]', "ENTRYPOINT tienphong"), [])
    assert check_dockerfile(text.replace("TIENPHONG_BIND=0.0.0.0", "TIENPHONG_BIND=127.0.0.1"), [])


def test_stop_grace_and_consumer_membership(compose: Compose) -> None:
    """Workers get time to leave their group and close cleanly; consumers keep a stable member name, and the
    single broker flushes each append before acknowledging it (issue 28)."""
    services = compose["services"]
    for name, _ in PROCESSES:
        grace = str(services[name].get("stop_grace_period", "10s"))
        assert grace.endswith("s") and int(grace[:-1]) >= 15, (name, grace)
    for name in ("consumer-reporting", "consumer-support"):
        assert services[name]["environment"]["TIENPHONG_CONSUMER_INSTANCE"] == "@hostname"
    assert str(services["kafka"]["environment"]["KAFKA_LOG_FLUSH_INTERVAL_MESSAGES"]) == "1"
