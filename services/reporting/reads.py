"""The reads that several endpoints share: the active read model, the unit checks, the summary and the period
report of a request (the JSON answers, the exports and the báo cáo documents carry the same figures)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, inspect

from services.reporting import reports, target_store
from services.reporting.alerts import months_before
from services.reporting.hierarchy_reads import Hierarchies, parse_mode
from services.reporting.loans_read import period_loans
from services.reporting.params import parse_date, parse_known_at, parse_period_arg
from services.reporting.store import ReadModel, active_generation, read_model
from services.reporting.targets import Targets
from shared.access_web import require_scope
from shared.db import write_turn
from shared.orgunits import OrgTree
from shared.web import ApiError


class Models:
    """The active read-model generation (its tables created on first use)."""

    def __init__(self, engine: Engine, reader: Engine) -> None:
        self._engine = engine
        self._reader = reader  # not the writer: on SQLite that would wait for a consumer's batch to commit
        self._created: set[int] = set()

    def current(self) -> ReadModel:
        with self._reader.connect() as conn:
            model = read_model(active_generation(conn))
            missing = model.generation not in self._created and not all(
                inspect(conn).has_table(table.name) for table in model.metadata.sorted_tables)
        if missing:
            # only when a table is missing, and in the writers' turn: on SQLite, creating checks each table
            # under the write lock, where a request waited in SQLite's busy handler while the consumers handed
            # the lock to each other, batch after batch
            with write_turn(self._engine):
                model.create(self._engine)
        self._created.add(model.generation)
        return model


class Reads:
    """`tree`: the hierarchy's first version (the org-units file); `hierarchies`: with its changes, which the
    summaries and reports group history by (`hierarchy=as_of|current`)."""

    def __init__(self, engine: Engine, reader: Engine, tree: OrgTree, targets: Targets,
                 hierarchies: Hierarchies | None = None) -> None:
        self.engine, self.reader, self.tree, self.targets = engine, reader, tree, targets
        self.models = Models(engine, reader)
        self.hierarchies = hierarchies

    def known_unit(self, code: str) -> None:
        if code not in self.tree:
            raise ApiError(404, "unknown_org_unit", org_code=code)
        require_scope(self.tree, code)

    def targets_in(self, conn: Connection, known_at: Any = None) -> Targets:
        """The defaults with the targets admins set (by `known_at`, when given)."""
        return self.targets.with_rows(target_store.all_rows(conn), known_at)

    def grouping(self, code: str, day: date) -> OrgTree:
        """The hierarchy a read of `code` on `day` groups history by (404 / 403 in it), shared.grouping."""
        if self.hierarchies is None:
            self.known_unit(code)
            return self.tree
        return self.hierarchies.grouping(code, day)

    def summary_body(self, org_code: str, year_before: bool = False) -> dict[str, Any]:
        """The summary the request asks for; with `year_before`, also the same unit's a year earlier (the
        exports' comparison) under "year_before"."""
        as_of, known_at = parse_date("as_of", date.today()), parse_known_at()
        tree = self.grouping(org_code, as_of)
        model = self.models.current()
        with self.reader.connect() as conn:
            targets = self.targets_in(conn, known_at)
            body = reports.summary(conn, model, tree, targets, org_code, as_of, known_at)
            if year_before:
                body["year_before"] = reports.summary(conn, model, tree, targets, org_code, months_before(as_of, 12),
                                                      known_at)
        return body | {"hierarchy": parse_mode(), **self._former(org_code, as_of)}

    def report_body(self, org_code: str) -> dict[str, Any]:
        period, known_at = parse_period_arg(), parse_known_at()
        tree = self.grouping(org_code, period.end)
        model = self.models.current()
        with self.reader.connect() as conn:
            body = reports.period_report(conn, model, tree, self.targets_in(conn, known_at), org_code,
                                         period, known_at)
            body["loans"] = period_loans(conn, model, tree, org_code, period.start, period.end, known_at)
        return body | {"hierarchy": parse_mode(), **self._former(org_code, period.end)}

    def _former(self, code: str, day: date) -> dict[str, Any]:
        return {} if self.hierarchies is None else self.hierarchies.former(code, day)
