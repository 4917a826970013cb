"""The demo program's corrections (tienphong/demo_program.py): registrations, loans, evaluations, courses and
supports recorded wrongly, each retracted by the agency that posted it and posted again as it should be."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tienphong.demo_data import Person, Step

if TYPE_CHECKING:
    from tienphong.demo_program import Program


def corrected_registration(program: Program, p: Person) -> None:
    """The commune typed day and month the wrong way round, retracted it, registered again."""
    swapped = p.birth_date.replace(day=p.birth_date.month, month=p.birth_date.day)
    wrong = program.register(p, tag=f"{p.handle}-reg-wrong", birth_date=swapped, binds=f"{p.handle}~wrong")
    retract(program, wrong, p.registered_on, "Nhập nhầm ngày sinh (đảo ngày và tháng)")
    program.register(p, day=p.registered_on + timedelta(days=1))


def retract(program: Program, wrong: Step, day: date, reason: str) -> Step:
    return program.add(day, wrong.stage, f"{wrong.tag}-retraction", wrong.service, wrong.agency,
                       f"/events/{{event:{wrong.tag}}}/retraction", {"reason": reason}, wrong.person or wrong.binds)


def corrections(program: Program, selected: list[Person]) -> None:
    """A loan typed with one zero too many, an evaluation with the wrong status, a course recorded
    twice, a support of the wrong kind: each retracted by the agency that posted it, and the right
    one posted after the retraction."""
    rng = program.rng
    corrected: set[str] = set()

    def pick(candidates: list[Step]) -> Step:
        step = rng.choice([s for s in candidates if s.tag not in corrected] or candidates)
        corrected.add(step.tag)
        return step

    def mistake(right: Step, tag: str, body: dict[str, Any], reason: str) -> None:
        wrong = program.add(right.day, right.stage, tag, right.service, right.agency, right.path, body,
                            right.person)
        retraction = retract(program, wrong, right.day, reason)
        wrong.order, retraction.order = right.order - 0.2, right.order - 0.1

    loans = [s for s in program.steps if s.agency == "vbsp"]
    courses = [s for s in program.steps if s.tag.endswith("-course")]
    supports = [s for s in program.steps if "-support-" in s.tag]
    for n in range(program.scale):
        loan = pick(loans)
        # above the source's ceiling: the officer confirmed the figure when asked (shared.plausibility)
        mistake(loan, f"{loan.tag}-typo-{n}", {**loan.body, "amount_vnd": loan.body["amount_vnd"] * 10,
                                               "confirmed_implausible": ["amount_vnd"]},
                "Nhập thừa một chữ số 0 ở số tiền giải ngân")
        person = rng.choice([p for p in selected if len(p.evaluations) > 3])
        tag = person.evaluations[1 + rng.randrange(len(person.evaluations) - 2)]  # never the latest
        evaluation = next(s for s in program.steps if s.tag == tag)
        mistake(evaluation, f"{tag}-wrong-{n}", {**evaluation.body, "status": "discontinued", "jobs_created": 0},
                "Ghi nhầm trạng thái mô hình, đã đánh giá lại")
        course = pick(courses)
        twice = program.add(course.day, course.stage, f"{course.tag}-again-{n}", "support", course.agency,
                            course.path, dict(course.body), course.person)
        retract(program, twice, course.day, "Ghi trùng lượt tập huấn")
        support = pick(supports)
        other_kind = "trademark" if support.body["kind"] != "trademark" else "food_safety"
        mistake(support, f"{support.tag}-wrong-{n}", {**support.body, "kind": other_kind},
                "Ghi sai hình thức hỗ trợ")
