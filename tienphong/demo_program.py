"""The demo program's 2017-2018 history as a list of API requests in business order: pure and
deterministic for a (seed, scale), so loading it twice records nothing new (each step has its own
Idempotency-Key) and two fresh systems loaded with the same seed show the same summaries.

Shape, per district of the demo hierarchy (counts times `scale`): registrations up to the 22/6/2017
deadline (a few late), selections with sectors and some rejections, the July 2017 course and study visits,
loans and grants from every funding source, business supports and the district's startup forum, monthly
evaluations from October 2017 to October 2018, commendations at the December 2018 summaries, replications
of the successful models, and a few corrections (an event retracted, then posted again as it should be).
How many models end successful is fixed per district, so Thọ Xuân and Thiệu Hóa reach the target of 10
and Triệu Sơn and Yên Định do not, whatever the seed.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from shared.text import fold_text
from tienphong import demo_corrections
from tienphong.demo_data import (
    AMOUNTS,
    DEADLINE,
    DISTRICTS,
    ENTERPRISES,
    EVALUATION_MONTHS,
    FAMILY,
    FEMALE,
    MALE,
    MODELS,
    NOTES,
    PROVINCE_SUMMARY,
    REJECTION_REASONS,
    SOURCE_POOL,
    SUPPORTS,
    District,
    Person,
    Step,
)
from tienphong.demo_loans import add_loan_steps


class Program:
    def __init__(self, seed: int, scale: int, communes: dict[str, list[str]]) -> None:
        self.rng = random.Random(seed * 1_000 + scale)
        self.scale = scale
        self.communes = communes
        self.steps: list[Step] = []
        self.people: list[Person] = []
        self.sources = list(SOURCE_POOL)
        self.rng.shuffle(self.sources)
        self.fundings = 0
        self.taken: set[tuple[Any, ...]] = set()

    def add(self, day: date, stage: int, tag: str, service: str, agency: str, path: str, body: dict[str, Any],
            person: str | None = None, binds: str | None = None) -> Step:
        step = Step(day, stage, tag, service, agency, path, body, person, binds, len(self.steps))
        self.steps.append(step)
        return step

    # --- people and their lifecycle ---------------------------------------------------------------
    def person(self, district: District, index: int) -> Person:
        rng = self.rng
        communes = self.communes[district.code]
        commune = communes[index % len(communes)]
        gender = "male" if rng.random() < 0.7 else "female"
        middles, givens = MALE if gender == "male" else FEMALE
        name = f"{rng.choice(FAMILY)} {rng.choice(middles)} {rng.choice(givens)}"
        late = rng.random() < 0.04
        registered_on = (DEADLINE + timedelta(days=1 + rng.randrange(4)) if late
                         else DEADLINE - timedelta(days=int(rng.triangular(0, 21, 0))))
        birth = date(1984 + rng.randrange(16), 1 + rng.randrange(12), 1 + rng.randrange(28))
        model, sector, revenue = rng.choice(MODELS)
        town = "-TT" in commune
        branch = f"Chi đoàn khu phố {1 + rng.randrange(8)}" if town else f"Chi đoàn thôn {1 + rng.randrange(14)}"
        phone = f"09{rng.randrange(10**8):08d}"
        # no two people of a district alike by folded name and birth date, or by phone: the second registration
        # would be refused as a likely duplicate (changed without drawing again, so the rest of the draw holds)
        while (district.code, fold_text(name), birth) in self.taken:
            birth = birth.replace(day=birth.day % 28 + 1)
        while (district.code, phone) in self.taken:
            phone = f"09{(int(phone[2:]) + 1) % 10**8:08d}"
        self.taken |= {(district.code, fold_text(name), birth), (district.code, phone)}
        return Person(f"{district.code}{index:04d}", district, commune, name, birth, gender,
                      phone, branch, model, sector, revenue, registered_on)

    def register(self, p: Person, tag: str | None = None, birth_date: date | None = None,
                 day: date | None = None, binds: str | None = None) -> Step:
        body = {"full_name": p.full_name, "birth_date": (birth_date or p.birth_date).isoformat(), "gender": p.gender,
                "phone": p.phone, "org_unit": p.commune, "branch_name": p.branch, "branch_kind": "residential",
                "model_name": p.model, "model_description": f"Mô hình {p.model.lower()} tại {p.branch.lower()}",
                "has_existing_model": self.rng.random() < 0.45, "registered_on": (day or p.registered_on).isoformat()}
        return self.add(day or p.registered_on, 0, tag or f"{p.handle}-reg", "registration", f"commune:{p.commune}",
                        "/participants", body, binds=binds or p.handle)

    def build(self) -> list[Step]:
        corrections = 0
        for district in DISTRICTS:
            people = [self.person(district, i) for i in range(district.people * self.scale)]
            order = list(range(len(people)))
            self.rng.shuffle(order)
            rejected = set(order[:district.rejected * self.scale])
            selected = [people[i] for i in sorted(set(order) - rejected)]
            successful = set(self.rng.sample(range(len(selected)), district.successful * self.scale))
            for i, person in enumerate(selected):
                person.outcome = "successful" if i in successful else self.rng.choices(
                    ["on_track", "struggling", "discontinued"], weights=[4, 3, 3])[0]
            for person in people:
                if district.code == "TS" and corrections < self.scale and person.birth_date.day <= 12 \
                        and person.birth_date.day != person.birth_date.month:
                    demo_corrections.corrected_registration(self, person)
                    corrections += 1
                else:
                    self.register(person)
                self.decide(person)
            for person in selected:
                self.follow_up(person)
        demo_corrections.corrections(self, [p for p in self.people if p.outcome != "rejected"])
        self.province_commendations()
        add_loan_steps(self.steps, self.people, self.rng)  # last: the draws of every other step stay as they were
        self.steps.sort(key=lambda s: (s.day, s.stage, s.order))
        return self.steps

    def decide(self, p: Person) -> None:
        self.people.append(p)
        district = p.district
        day = max(district.decided_on, p.registered_on + timedelta(days=2))
        if p.outcome == "rejected":
            body = {"decision": "rejected", "reason": self.rng.choice(REJECTION_REASONS), "decided_on": day.isoformat()}
        else:
            body = {"decision": "selected", "sector": p.sector, "decided_on": day.isoformat(),
                    "reason": "Ý tưởng khả thi, có khả năng nhân rộng"}
        self.add(day, 1, f"{p.handle}-decision", "registration", f"union:{district.code}",
                 "/participants/{participant}/decisions", body, person=p.handle)

    def follow_up(self, p: Person) -> None:
        rng, d = self.rng, p.district
        union = f"union:{d.code}"
        if rng.random() < 0.92:
            self.add(d.course_on, 2, f"{p.handle}-course", "support", union, "/participants/{participant}/trainings",
                     {"trained_on": d.course_on.isoformat(), "kind": "course", "hours": 24,
                      "course": "Tập huấn kiến thức, kỹ năng khởi sự doanh nghiệp và chuyển giao khoa học kỹ thuật",
                      "provider": f"Huyện Đoàn {d.name} phối hợp Phòng Nông nghiệp và PTNT"}, p.handle)
        if rng.random() < 0.3:
            day = rng.choice([date(2017, 9, 14), date(2018, 4, 12)])
            self.add(day, 2, f"{p.handle}-visit", "support", union, "/participants/{participant}/trainings",
                     {"trained_on": day.isoformat(), "kind": "study_visit", "hours": 8,
                      "course": "Tham quan học tập mô hình khởi nghiệp thành công", "provider": f"Huyện Đoàn {d.name}"},
                     p.handle)
        funded = rng.random() < (0.9 if p.outcome == "successful" else 0.7)
        for n in range((1 + (rng.random() < 0.3)) if funded else 0):
            day = (date(2017, 8, 7) + timedelta(days=rng.randrange(110)) if n == 0
                   else date(2018, 2, 5) + timedelta(days=rng.randrange(180)))
            self.fund(p, day, f"{p.handle}-fund-{n}")
        for n in range(rng.choice([0, 1, 1, 2, 3]) if p.outcome != "discontinued" else rng.choice([0, 1])):
            kind, partner, description = rng.choice(SUPPORTS)
            day = date(2017, 10, 2) + timedelta(days=rng.randrange(340))
            self.add(day, 3, f"{p.handle}-support-{n}", "support", f"business:{d.code}",
                     "/participants/{participant}/supports",
                     {"supported_on": day.isoformat(), "kind": kind, "partner": partner, "description": description},
                     p.handle)
        if rng.random() < 0.6:
            self.add(d.forum_on, 3, f"{p.handle}-forum", "support", union, "/participants/{participant}/supports",
                     {"supported_on": d.forum_on.isoformat(), "kind": "forum", "partner": f"Huyện Đoàn {d.name}",
                      "description": "Diễn đàn thanh niên khởi nghiệp năm 2017"}, p.handle)
        self.evaluate(p)
        if p.outcome == "successful":
            self.celebrate(p)

    def fund(self, p: Person, day: date, tag: str) -> Step:
        source = self.sources[self.fundings % len(self.sources)]
        self.fundings += 1
        low, high, step, term = AMOUNTS[source]
        amount = (low + step * self.rng.randrange((high - low) // step + 1)) * 1_000_000
        d = p.district
        lender, agency = {
            "vbsp": (f"NHCSXH huyện {d.name}", "vbsp"),
            "provincial_youth_credit": ("NHCSXH tỉnh Thanh Hóa - chương trình tín dụng ưu đãi thanh niên "
                                        "khởi nghiệp 2017-2020", "vbsp"),
            "youth_union_120": (f"Quỹ 120 Trung ương Đoàn, qua Huyện Đoàn {d.name}", f"union:{d.code}"),
            "commercial_bank": (f"Agribank chi nhánh huyện {d.name}", "agribank"),
            "enterprise": (self.rng.choice(ENTERPRISES), "startup_fund"),
            "other": (f"Hội Liên hiệp Phụ nữ huyện {d.name}", "startup_fund"),
        }[source]
        body: dict[str, Any] = {"disbursed_on": day.isoformat(), "source": source, "amount_vnd": amount,
                                "lender": lender}
        if term:
            body["term_months"] = self.rng.randrange(term[0], term[1] + 1, 12)
        return self.add(day, 2, tag, "support", agency, "/participants/{participant}/fundings", body, p.handle)

    def evaluate(self, p: Person) -> None:
        rng, d = self.rng, p.district
        turn = 5 + rng.randrange(6)  # month index (2018-03..2018-08) where the outcome shows
        for index, (year, month) in enumerate(EVALUATION_MONTHS):
            final = index == len(EVALUATION_MONTHS) - 1
            status = "on_track"
            if index >= turn or final:
                status = "struggling" if p.outcome == "discontinued" and index == turn else p.outcome
            elif rng.random() < 0.12:
                status = "struggling"
            growth = min(1.0, 0.3 + 0.07 * index)
            factor = {"successful": 1.2, "on_track": 0.8, "struggling": 0.4, "discontinued": 0.0}[status]
            revenue = int(p.revenue * growth * factor * (0.85 + 0.3 * rng.random())) * 1_000_000
            profit = (int(revenue * (0.15 + 0.2 * rng.random())) // 100_000 * 100_000
                      if status in ("successful", "on_track") else -rng.randrange(2, 15) * 1_000_000)
            jobs = {"successful": 3 + index // 2 + rng.randrange(4), "on_track": 1 + rng.randrange(3),
                    "struggling": rng.randrange(2), "discontinued": 0}[status]
            day = date(year, month, d.review_day)
            tag = f"{p.handle}-eval-{year}-{month:02d}"
            # Two officers of the district union take turns with the monthly reviews (two keys, one agency).
            officer = f"evaluator:{d.code}" if month % 2 else f"union:{d.code}"
            self.add(day, 4, tag, "registration", officer, "/participants/{participant}/evaluations",
                     {"evaluated_on": day.isoformat(), "status": status, "revenue_vnd": revenue or None,
                      "profit_vnd": profit, "jobs_created": jobs, "note": rng.choice(NOTES[status])}, p.handle)
            p.evaluations.append(tag)
            if status == "discontinued":
                break

    def celebrate(self, p: Person) -> None:
        rng, d = self.rng, p.district
        if rng.random() < 0.75:
            self.add(d.summary_on, 5, f"{p.handle}-commended", "registration", f"union:{d.code}",
                     "/participants/{participant}/commendations",
                     {"commended_on": d.summary_on.isoformat(),
                      "title": "Bí thư Chi đoàn tiên phong khởi nghiệp tiêu biểu giai đoạn 2017-2018",
                      "issued_by": f"Ban Thường vụ Huyện Đoàn {d.name}"}, p.handle)
        communes = self.communes[d.code]
        for n in range(rng.choice([0, 1, 1, 2, 3])):
            day = date(2018, 4, 2) + timedelta(days=rng.randrange(250))
            unit = p.commune if rng.random() < 0.6 else rng.choice(communes)
            gender = MALE if rng.random() < 0.6 else FEMALE
            youth = f"{rng.choice(FAMILY)} {rng.choice(gender[0])} {rng.choice(gender[1])}"
            # a commune's key reaches only its commune: a youth of a neighbouring one is the district's to post
            poster = f"commune:{p.commune}" if unit == p.commune else f"union:{d.code}"
            self.add(day, 6, f"{p.handle}-replication-{n}", "registration", poster,
                     "/participants/{participant}/replications",
                     {"replicated_on": day.isoformat(), "youth_name": youth, "org_unit": unit,
                      "note": f"Học tập mô hình {p.model.lower()} của {p.full_name}"}, p.handle)

    def province_commendations(self) -> None:
        for district in DISTRICTS:
            best = sorted((p for p in self.people if p.district is district and p.outcome == "successful"),
                          key=lambda p: (-p.revenue, p.handle))[:self.scale]
            for p in best:
                self.add(PROVINCE_SUMMARY, 5, f"{p.handle}-commended-province", "registration", "province_union",
                         "/participants/{participant}/commendations",
                         {"commended_on": PROVINCE_SUMMARY.isoformat(),
                          "title": "Gương thanh niên khởi nghiệp tiêu biểu tỉnh Thanh Hóa năm 2018",
                          "issued_by": "Ban Thường vụ Tỉnh Đoàn Thanh Hóa"}, p.handle)



def build(seed: int, scale: int, communes: dict[str, list[str]]) -> list[Step]:
    """Every request of the demo, in the order to post them. `communes`: district code -> commune codes."""
    return Program(seed, max(1, scale), communes).build()
