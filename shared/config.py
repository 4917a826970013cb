"""Configuration from the environment: one place that knows every variable the system reads."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.plausibility import Thresholds, from_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ORG_UNITS = Path(__file__).resolve().parent / "data" / "org_units.yaml"

SERVICE_PORTS = {"registration": 8001, "support": 8002, "reporting": 8003}


def service_port(service: str, env: dict[str, str] | None = None) -> int:
    """A service's HTTP port under `tienphong run`: TIENPHONG_<SERVICE>_PORT, else the usual one."""
    source = os.environ if env is None else env
    return int(source.get(f"TIENPHONG_{service.upper()}_PORT", SERVICE_PORTS[service]))


# services whose database holds an event store and an outbox: the record, kept nowhere else
WRITE_SERVICES = ("registration", "support")


@dataclass(frozen=True)
class Config:
    """Settings of one process. `service` names the service whose database it uses."""

    service: str
    data_dir: Path = REPO_ROOT / "data"
    database_url_template: str = ""
    access_database_url: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = "tienphong"
    topic_partitions: int = 6
    # copies of each partition of the project's topics, and how many must have a write before the broker
    # acknowledges it (acks=all): 3 and 2 on three brokers, so one may fail with no write lost or refused
    topic_replication: int = 1
    topic_min_insync: int = 1
    org_units_file: Path = DEFAULT_ORG_UNITS
    program_start: date = date(2017, 1, 1)
    secret_key: str = ""
    rate_limit_per_minute: int = 600
    # a person reading the dashboards with a session cookie: a budget of its own, sized for people (a page
    # view makes a handful of requests, and the live view polls every 2 s), apart from the keys' machine budget
    session_rate_limit_per_minute: int = 1200
    log_level: str = "INFO"
    consumer_group: str = ""
    # PostgreSQL connections an HTTP worker keeps per database: one per gunicorn thread, since a thread holds at
    # most one of each at a time (docs/scaling.md has the sum over processes)
    db_pool_size: int = 8
    # participants whose state the reporting projection keeps in memory (~1 KiB each)
    projection_cache: int = 100_000
    # this consumer process's stable name in its group (Kafka static membership), "" for none
    consumer_instance: str = ""
    # a consumer that has applied nothing for this long while records wait makes its service not ready
    stall_seconds: float = 60.0
    # reporting's alerts: selected but neither trained nor funded, funded but not evaluated, this many months on
    alert_months_without_start: int = 3
    alert_months_without_evaluation: int = 6
    report_headers_file: Path | None = None  # reporting's báo cáo heads and signatures (None: shared/data's)
    pdf_font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
    # bulk writes through each backend's fast path (shared.bulk), or only through public APIs
    fast_paths: bool = True
    # figures accepted without the sender's confirmation (shared.plausibility)
    plausibility: Thresholds = Thresholds()
    # how long a process trusts the hierarchy it built before asking its database for new changes
    hierarchy_refresh_seconds: float = 1.0

    @property
    def database_url(self) -> str:
        return database_url_for(self.service, self.database_url_template, self.data_dir)

    @property
    def access_url(self) -> str:
        if self.access_database_url:
            return self.access_database_url
        return database_url_for("access", self.database_url_template, self.data_dir)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}.{name}"


def database_url_for(service: str, template: str, data_dir: Path) -> str:
    """`{service}` in DATABASE_URL names one database per service; SQLite files otherwise."""
    if not template:
        return f"sqlite:///{data_dir / (service + '.db')}"
    return template.replace("{service}", service)


def from_env(service: str, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("TIENPHONG_DATA_DIR", str(REPO_ROOT / "data")))
    replication = int(env.get("TIENPHONG_TOPIC_REPLICATION", "1"))
    return Config(
        service=service,
        data_dir=data_dir,
        database_url_template=env.get("DATABASE_URL", ""),
        access_database_url=env.get("ACCESS_DATABASE_URL", ""),
        kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        topic_prefix=env.get("TIENPHONG_TOPIC_PREFIX", "tienphong"),
        topic_partitions=int(env.get("TIENPHONG_TOPIC_PARTITIONS", "6")),
        topic_replication=replication,
        topic_min_insync=int(env.get("TIENPHONG_TOPIC_MIN_INSYNC_REPLICAS") or (2 if replication >= 3 else 1)),
        org_units_file=Path(env.get("TIENPHONG_ORG_UNITS_FILE", str(DEFAULT_ORG_UNITS))),
        program_start=date.fromisoformat(env.get("TIENPHONG_PROGRAM_START", "2017-01-01")),
        secret_key=env.get("TIENPHONG_SECRET_KEY", ""),
        rate_limit_per_minute=int(env.get("TIENPHONG_RATE_LIMIT_PER_MINUTE", "600")),
        session_rate_limit_per_minute=int(env.get("TIENPHONG_SESSION_RATE_LIMIT_PER_MINUTE", "1200")),
        log_level=env.get("TIENPHONG_LOG_LEVEL", "INFO"),
        consumer_group=env.get("TIENPHONG_CONSUMER_GROUP", ""),
        db_pool_size=int(env.get("TIENPHONG_DB_POOL_SIZE") or env.get("GUNICORN_THREADS") or "8"),
        projection_cache=int(env.get("TIENPHONG_PROJECTION_CACHE", "100000")),
        consumer_instance=consumer_instance(env.get("TIENPHONG_CONSUMER_INSTANCE", "")),
        stall_seconds=float(env.get("TIENPHONG_STALL_SECONDS", "60")),
        fast_paths=fast_paths_from_env(env),
        alert_months_without_start=int(env.get("TIENPHONG_ALERT_MONTHS_WITHOUT_START", "3")),
        alert_months_without_evaluation=int(env.get("TIENPHONG_ALERT_MONTHS_WITHOUT_EVALUATION", "6")),
        plausibility=from_settings(env),
        report_headers_file=Path(headers) if (headers := env.get("TIENPHONG_REPORT_HEADERS_FILE")) else None,
        pdf_font_dir=Path(env.get("TIENPHONG_PDF_FONT_DIR") or "/usr/share/fonts/truetype/dejavu"),
        hierarchy_refresh_seconds=float(env.get("TIENPHONG_HIERARCHY_REFRESH_SECONDS", "1")),
    )


def fast_paths_from_env(env: dict[str, str] | None = None) -> bool:
    """TIENPHONG_FAST_PATHS: on (the default) or off (the reference paths only, to compare or to rule a fast
    path out)."""
    value = (os.environ if env is None else env).get("TIENPHONG_FAST_PATHS", "on").strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"TIENPHONG_FAST_PATHS must be on or off, not {value!r}")
    return value == "on"


def consumer_instance(value: str) -> str:
    """`@hostname` stands for this machine's name (a container's, under compose, which stays the same
    when the container restarts)."""
    return socket.gethostname() if value == "@hostname" else value
