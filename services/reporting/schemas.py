"""The reporting service's answers as JSON Schemas for its OpenAPI document (the contract's summary, the
period report, org units, timelines, the events behind a figure, the projection), so that a client and the
suite's conformance checks know what each read returns. Extra keys may be added (the contract allows it)."""

from __future__ import annotations

from typing import Any

from services.reporting.reports import TOTALS


def _object(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required), "properties": {**required, **optional}}


INTEGER = {"type": "integer"}
TEXT = {"type": "string"}
DAY = {"type": "string", "format": "date"}
UNIT = _object({"code": TEXT, "name": TEXT, "level": TEXT})
COUNTS = {"type": "object", "additionalProperties": INTEGER}
TOTALS_SCHEMA = _object(dict.fromkeys(TOTALS, INTEGER))
TARGET = _object({"successful_models": INTEGER, "achieved": INTEGER},
                 status={"type": "string", "enum": ["reached", "not_reached", "no_target"]},
                 status_text=_object({"vi": TEXT, "en": TEXT}), missing=INTEGER, expected_by_as_of=INTEGER,
                 on_path={"type": "boolean"}, behind_path_by=INTEGER, start_on={"type": "string", "nullable": True},
                 due_on={"type": "string", "nullable": True}, source=TEXT)
FIGURES = {"totals": TOTALS_SCHEMA, "funding_by_source": COUNTS,
           "by_sector": {"type": "object", "additionalProperties": _object({"selected": INTEGER,
                                                                            "successful": INTEGER})},
           "target": TARGET}
SUMMARY = _object({"org_unit": UNIT, "as_of": DAY, **FIGURES,
                   "children": {"type": "array", "items": _object({"org_unit": UNIT, **FIGURES})}},
                  known_at={"type": "string", "format": "date-time"})
PERIOD = _object({"code": TEXT, "kind": {"type": "string", "enum": ["month", "half_year", "year"]},
                  "start": DAY, "end": DAY})
ACTIVITY = _object({"in_period": {"type": "object", "additionalProperties": True}, "cumulative": TOTALS_SCHEMA})
REPORT = _object({"org_unit": UNIT, "period": PERIOD, "in_period": ACTIVITY["properties"]["in_period"],
                  "cumulative": TOTALS_SCHEMA, "target": TARGET,
                  "previous": _object({"period": PERIOD, **ACTIVITY["properties"]}),
                  "children": {"type": "array", "items": _object({"org_unit": UNIT, **ACTIVITY["properties"]})}},
                 known_at={"type": "string", "format": "date-time"}, restated={"type": "boolean"},
                 differences={"type": "array"})
ORG_UNITS = {"type": "array", "items": _object({"code": TEXT, "name": TEXT, "level": TEXT,
                                                "parent": {"type": "string", "nullable": True}},
                                               valid_from=DAY, valid_to={**DAY, "nullable": True})}
TIMELINE = _object({"participant_id": TEXT, "events": {"type": "array", "items": _object({
    "event_id": TEXT, "type": TEXT, "occurred_on": DAY, "recorded_at": TEXT, "org_unit": TEXT,
    "source": _object({"agency": TEXT, "key_id": TEXT}), "service": TEXT, "data": {"type": "object"},
    "retracted": {"type": "boolean"}, "retracted_by": {"type": "string", "nullable": True}})}})
EVENTS_BEHIND = _object({"org_unit": TEXT, "metric": TEXT, "as_of": DAY, "count": INTEGER,
                         "events": {"type": "array", "items": {"type": "object"}}})
PARTITION = _object({"topic": TEXT, "partition": INTEGER, "offset": INTEGER,
                     "end_offset": {"type": "integer", "nullable": True}, "lag": {"type": "integer", "nullable": True}})
PROJECTION = _object({"generation": INTEGER, "events_applied": INTEGER, "dead_letters": INTEGER,
                      "partitions": {"type": "array", "items": PARTITION}, "lag": INTEGER,
                      "kafka_error": {"type": "string", "nullable": True}})
MONTH = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}
SERIES = _object({"org_unit": UNIT, "from": MONTH, "to": MONTH,
                  "active": {"type": "object", "nullable": True, "required": ["first", "last"],
                             "properties": {"first": DAY, "last": DAY}},
                  "points": {"type": "array", "items": _object({"month": MONTH, "totals": TOTALS_SCHEMA})}})
BILINGUAL = _object({"vi": TEXT, "en": TEXT})
DEFINITION = _object({"key": TEXT, "scope": {"type": "string", "enum": ["cumulative", "in_period"]},
                      "name": BILINGUAL, "definition": BILINGUAL, "scope_words": BILINGUAL, "unit": BILINGUAL})
DEFINITIONS = _object({"cumulative": {"type": "array", "items": DEFINITION},
                       "in_period": {"type": "array", "items": DEFINITION},
                       "target": {"type": "array", "items": DEFINITION}, "scopes": {"type": "object"}})
NULLABLE_DAY = NULLABLE_TEXT = {"type": "string", "nullable": True}
TARGET_ROW = _object({"id": INTEGER, "org_unit": TEXT, "successful_models": INTEGER, "start_on": DAY, "due_on": DAY,
                      "effective_on": DAY, "set_at": TEXT, "set_by": TEXT, "note": NULLABLE_TEXT})
TARGETS = _object({"org_unit": TEXT, "as_of": DAY, "units": {"type": "array", "items": _object({
    "org_unit": UNIT, "successful_models": INTEGER, "expected_by_as_of": INTEGER, "start_on": NULLABLE_DAY,
    "due_on": NULLABLE_DAY, "source": TEXT, "history": {"type": "array", "items": TARGET_ROW}})}})
ALERTS = _object({"org_unit": UNIT, "as_of": DAY, "generated_at": TEXT, "settings": {"type": "object"},
                  "counts": _object({"behind_target": INTEGER, "selected_idle": INTEGER,
                                     "funded_unevaluated": INTEGER}),
                  "alerts": {"type": "array", "items": _object({
                      "kind": {"type": "string", "enum": ["behind_target", "selected_idle", "funded_unevaluated"]},
                      "reason": BILINGUAL, "links": {"type": "object"}},
                      org_unit=UNIT, target=TARGET, since=DAY, missing={"type": "array", "items": TEXT},
                      last_evaluated_on=NULLABLE_DAY, participant={"type": "object"})}})
PARTICIPANT_ROW = _object({"participant_id": TEXT, "name": TEXT, "model": TEXT, "branch": TEXT, "org_unit": TEXT,
                           "registered_on": DAY, "status": TEXT, "sector": {"type": "string", "nullable": True},
                           "sources": {"type": "array", "items": TEXT}, "funding_vnd": INTEGER})
DASHBOARD = _object({"org_unit": UNIT, "as_of": DAY, "filters": {"type": "object", "additionalProperties": True},
                     "summary": SUMMARY, "report": REPORT,
                     "participants": {"type": "array", "nullable": True, "items": PARTICIPANT_ROW}},
                    hierarchy={"type": "string", "enum": ["as_of", "current"]})
