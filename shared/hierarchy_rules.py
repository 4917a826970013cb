"""The rules of a hierarchy's changes (create, rename, merge, split, move, dissolve), replayed in effective-date
order onto each unit's dated names and parent links. Pure: no I/O."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.text import normalize_text

KINDS = ("create", "merge", "split", "move", "rename", "dissolve")
_PRIORITY = {kind: i for i, kind in enumerate(("create", "rename", "move", "merge", "split", "dissolve"))}
MAX_CHANGES = 2000  # per request: a province's reform is a few hundred
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
@dataclass(frozen=True)
class ChangeRequest:
    """One decision: changes applied together on `effective_on` (as the event org_unit.changed holds it)."""

    effective_on: date
    decision: str
    changes: tuple[dict[str, Any], ...]
    event_id: str = ""

    @classmethod
    def from_data(cls, data: dict[str, Any], event_id: str = "") -> ChangeRequest:
        day = data["effective_on"]
        return cls(day if isinstance(day, date) else date.fromisoformat(day), str(data["decision"]),
                   tuple(dict(c) for c in data["changes"]), event_id)


@dataclass(frozen=True)
class ChangeError:
    """Why one change of a request cannot apply: `index` in its request's list (None: the request as a whole)."""

    request: int
    index: int | None
    vi: str
    en: str

@dataclass
class UnitHistory:
    code: str
    level: str
    valid_from: date
    names: list[tuple[date, str]]  # (from, name), in date order
    parents: list[tuple[date, str | None]]  # (from, parent): each parent link and the day it starts
    valid_to: date | None = None
    successor: str | None = None  # merge: into; split: default_successor; dissolve: its last parent
    order: int = 0

    def holds(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def name_at(self, day: date) -> str:
        return _at(self.names, day) or self.names[0][1]

    def parent_at(self, day: date) -> str | None:
        return _at(self.parents, day)


def _at(spans: list[tuple[date, Any]], day: date) -> Any:
    i = bisect_right([start for start, _ in spans], day)
    return spans[i - 1][1] if i else None


def _set(spans: list[tuple[date, Any]], day: date, value: Any) -> None:
    if spans and spans[-1][0] == day:
        spans[-1] = (day, value)
    else:
        spans.append((day, value))


def _bi(vi: str, en: str) -> tuple[str, str]:
    return vi, en



class Replay:
    """Units with their dated names and parent links, and the changes applied to them so far."""

    def __init__(self, start: date) -> None:
        self.start = start
        self._units: dict[str, UnitHistory] = {}
        self.errors: list[ChangeError] = []
        # the units under each unit as the replay stands (changes apply in date order): no scan per change
        self._kids: dict[str | None, dict[str, None]] = {}
        # units a later change creates: a change before then is told when they start
        self.created_later: dict[str, date] = {}

    def _expect(self, requests: list[ChangeRequest]) -> None:
        for request in requests:
            for change in request.changes:
                if _kind(change) == "create" and isinstance(change.get("code"), str):
                    self.created_later.setdefault(change["code"], request.effective_on)

    def _apply(self, number: int, request: ChangeRequest) -> None:
        day = request.effective_on
        if day < self.start:
            self.errors.append(ChangeError(number, None, *_bi(
                f"Ngày hiệu lực không được trước ngày bắt đầu chương trình {self.start:%d/%m/%Y}.",
                f"The effective date may not be before the program start {self.start.isoformat()}.")))
            return
        # applied together: new units first, dissolutions last, whatever order the list gives
        ordered = sorted(enumerate(request.changes), key=lambda pair: _PRIORITY.get(_kind(pair[1]), 0))
        problems = [(index, self._apply_one(change, day)) for index, change in ordered]
        self.errors.extend(ChangeError(number, index, *problem) for index, problem in sorted(problems, key=_first)
                           if problem is not None)

    def _existing(self, code: Any, day: date, role: str = "code") -> tuple[UnitHistory | None, tuple[str, str] | None]:
        if not isinstance(code, str) or not code:
            return None, _bi(f"Thiếu mã đơn vị ({role}).", f"An org unit code is required ({role}).")
        unit = self._units.get(code)
        starts = unit.valid_from if unit is not None else self.created_later.get(code)
        if starts is not None and day < starts:
            return None, _bi(f"Đơn vị {code} chỉ có từ {starts:%d/%m/%Y}, sau ngày hiệu lực.",
                             f"Org unit {code} exists only from {starts.isoformat()}, after the effective date.")
        if unit is None:
            return None, _bi(f"Không có đơn vị mã {code}.", f"Unknown org unit {code}.")
        if unit.valid_to is not None and day > unit.valid_to:
            return None, _bi(f"Đơn vị {code} đã không còn từ {unit.valid_to + timedelta(days=1):%d/%m/%Y}.",
                             f"Org unit {code} no longer exists since "
                             f"{(unit.valid_to + timedelta(days=1)).isoformat()} (merged, split or dissolved).")
        return unit, None

    def _add(self, unit: UnitHistory) -> None:
        self._units[unit.code] = unit
        self._kids.setdefault(unit.parents[-1][1], {})[unit.code] = None

    def _reparent(self, unit: UnitHistory, day: date, parent: str) -> None:
        self._kids.get(unit.parents[-1][1], {}).pop(unit.code, None)
        _set(unit.parents, day, parent)
        self._kids.setdefault(parent, {})[unit.code] = None

    def _children(self, code: str, day: date) -> list[UnitHistory]:
        return [self._units[c] for c in self._kids.get(code, {})]

    def _end(self, unit: UnitHistory, day: date, successor: str | None) -> None:
        unit.valid_to = day - timedelta(days=1)
        unit.successor = successor
        self._kids.get(unit.parents[-1][1], {}).pop(unit.code, None)

    def _apply_one(self, change: Any, day: date) -> tuple[str, str] | None:
        kind = _kind(change)
        if kind not in KINDS:
            return _bi("Loại thay đổi không hợp lệ; một trong: " + ", ".join(KINDS) + ".",
                       "Unknown kind of change; one of: " + ", ".join(KINDS) + ".")
        assert isinstance(change, dict)
        return getattr(self, f"_{kind}")(change, day)  # type: ignore[no-any-return]

    def _create(self, change: dict[str, Any], day: date) -> tuple[str, str] | None:
        code, name, level, parent = (change.get(k) for k in ("code", "name", "level", "parent"))
        if not isinstance(code, str) or not CODE.fullmatch(code):
            return _bi("Mã đơn vị mới: 1-64 ký tự chữ, số, '_', '.', '-'.",
                       "The new unit's code: 1-64 letters, digits, '_', '.' or '-'.")
        if code in self._units:
            return _bi(f"Mã {code} đã dùng (mã không dùng lại).", f"Code {code} is taken (codes are never reused).")
        name, level = _clean(name), _clean(level)
        if not name or not level or len(name) > 200 or len(level) > 40:
            return _bi("Đơn vị mới cần tên (name, tối đa 200 ký tự) và cấp (level, tối đa 40).",
                       "A new unit needs a name (up to 200 characters) and a level (up to 40).")
        if parent is not None:
            _, problem = self._existing(parent, day, "parent")
            if problem:
                return problem
        self._add(UnitHistory(code, level, day, [(day, name)], [(day, parent)], order=len(self._units)))
        return None

    def _merge(self, change: dict[str, Any], day: date) -> tuple[str, str] | None:
        sources, into = change.get("from"), change.get("into")
        if not isinstance(sources, list) or not sources:
            return _bi("Gộp: cần danh sách đơn vị (from).", "Merge: a list of units (from) is required.")
        target, problem = self._existing(into, day, "into")
        if problem or target is None:
            return problem
        if target.code in sources or len(set(map(str, sources))) != len(sources):
            return _bi("Gộp: danh sách from có mã trùng hoặc chứa đơn vị nhận.",
                       "Merge: from repeats a code or holds the unit merged into.")
        for code in sources:
            unit, problem = self._existing(code, day, "from")
            if problem or unit is None:
                return problem
            for child in self._children(unit.code, day):  # the merged unit's children go with it
                self._reparent(child, day, target.code)
            self._end(unit, day, target.code)
        return None

    def _split(self, change: dict[str, Any], day: date) -> tuple[str, str] | None:
        unit, problem = self._existing(change.get("code"), day)
        if problem or unit is None:
            return problem
        into, default = change.get("into"), change.get("default_successor")
        if not isinstance(into, list) or len(into) < 2 or unit.code in into or len(set(map(str, into))) != len(into):
            return _bi("Tách: cần ít nhất hai đơn vị nhận khác nhau (into).",
                       "Split: at least two distinct units to split into (into) are required.")
        for code in into:
            _, problem = self._existing(code, day, "into")
            if problem:
                return problem
        if default not in into:
            return _bi("Tách: default_successor phải là một trong into.",
                       "Split: default_successor must be one of into.")
        if self._children(unit.code, day):
            return _bi(f"Tách: {unit.code} còn đơn vị trực thuộc; chuyển chúng trước.",
                       f"Split: {unit.code} still has units under it; move them first.")
        self._end(unit, day, default)
        return None

    def _move(self, change: dict[str, Any], day: date) -> tuple[str, str] | None:
        unit, problem = self._existing(change.get("code"), day)
        if problem or unit is None:
            return problem
        parent, problem = self._existing(change.get("parent"), day, "parent")
        if problem or parent is None:
            return problem
        ancestor: str | None = parent.code
        while ancestor is not None:
            if ancestor == unit.code:
                return _bi("Chuyển: đơn vị cấp trên mới nằm dưới chính đơn vị này.",
                           "Move: the new parent lies below the unit itself.")
            ancestor = self._units[ancestor].parent_at(day)
        self._reparent(unit, day, parent.code)
        return None

    def _rename(self, change: dict[str, Any], day: date) -> tuple[str, str] | None:
        unit, problem = self._existing(change.get("code"), day)
        if problem or unit is None:
            return problem
        name = _clean(change.get("name"))
        if not name or len(name) > 200:
            return _bi("Đổi tên: cần tên mới (name, tối đa 200 ký tự).",
                       "Rename: the new name is required (up to 200 characters).")
        _set(unit.names, day, name)
        return None

    def _dissolve(self, change: dict[str, Any], day: date) -> tuple[str, str] | None:
        unit, problem = self._existing(change.get("code"), day)
        if problem or unit is None:
            return problem
        left = self._children(unit.code, day)
        if left:
            return _bi(f"Giải thể: {unit.code} còn {len(left)} đơn vị trực thuộc ({left[0].code}, ...); "
                       "gộp hoặc chuyển chúng trước.",
                       f"Dissolve: {unit.code} still has {len(left)} units under it ({left[0].code}, ...); "
                       "merge or move them first.")
        self._end(unit, day, unit.parent_at(day))
        return None

def _clean(text: Any) -> str:
    return normalize_text(text) if isinstance(text, str) else ""


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def _kind(change: Any) -> Any:
    return change.get("kind") if isinstance(change, dict) else None
