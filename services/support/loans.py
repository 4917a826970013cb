"""Support's rules for a loan's own events (repayments, classifications), pure: what refuses a write, and
why, in both languages. Which funding is a loan and its position: shared.loans."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.loans import Loan, default_status
from shared.rules import RuleViolation, check_business_date, conflict, invalid


def unknown_loan() -> RuleViolation:
    return RuleViolation(404, "unknown_loan", None, "Không tìm thấy khoản cấp vốn này.",
                         "This service recorded no such funding.")


def not_a_loan(source: str) -> RuleViolation:
    return RuleViolation(422, "not_a_loan", None,
                         "Khoản cấp vốn này không phải khoản vay (không có kỳ hạn, nguồn không cho vay): "
                         "không theo dõi trả nợ.",
                         "This funding is not a loan (no term, from a source that does not lend): "
                         "it has no repayments.", {"source": source})


def funding_retracted() -> RuleViolation:
    return conflict("funding_retracted", "Khoản vay này đã bị thu hồi (ghi nhầm): không ghi thêm được.",
                    "This loan's funding was retracted (recorded in error): nothing more can be recorded.")


def check_open(loan: Loan) -> None:
    """A loan closed or written off takes no more events (retract the classification that ended it first)."""
    ended = loan.ended()
    if ended == "closed":
        raise conflict("loan_closed", "Khoản vay đã tất toán: không ghi thêm được.",
                       "The loan is closed: nothing more can be recorded.", status=ended)
    if ended == "written_off":
        raise conflict("loan_written_off", "Khoản vay đã xóa nợ: không ghi thêm được.",
                       "The loan is written off: nothing more can be recorded.", status=ended)


def _check_day(loan: Loan, field_name: str, day: date, today: date, program_start: date) -> None:
    check_business_date(field_name, day, today, program_start)
    if day < loan.disbursed_on:
        raise invalid(field_name, f"Ngày không được trước ngày giải ngân {loan.disbursed_on:%d/%m/%Y}.",
                      f"The date may not be before the disbursement on {loan.disbursed_on.isoformat()}.")


def check_repayment(loan: Loan, body: dict[str, Any], today: date, program_start: date) -> None:
    _check_day(loan, "paid_on", body["paid_on"], today, program_start)
    principal, interest = int(body["principal_vnd"]), int(body.get("interest_vnd") or 0)
    if principal + interest == 0:
        raise invalid("principal_vnd", "Khoản trả nợ phải có gốc hoặc lãi lớn hơn 0.",
                      "A repayment pays some principal or interest.")
    outstanding = loan.amount_vnd - loan.repaid()[0]
    if principal > outstanding:
        raise conflict("exceeds_outstanding",
                       f"Số tiền gốc trả ({principal:,} đồng) vượt dư nợ gốc còn lại ({outstanding:,} đồng).",
                       f"The principal repaid ({principal:,} VND) is more than the outstanding principal "
                       f"({outstanding:,} VND).", "principal_vnd", outstanding_vnd=outstanding)


def classification_status(body: dict[str, Any]) -> str:
    """The status recorded: the one given, else told by the days past due."""
    return str(body.get("status") or default_status(int(body["days_past_due"])))


def check_classification(loan: Loan, body: dict[str, Any], today: date, program_start: date) -> None:
    _check_day(loan, "classified_on", body["classified_on"], today, program_start)
    days, status = int(body["days_past_due"]), classification_status(body)
    if status == "current" and days > 0:
        raise invalid("status", "Khoản vay quá hạn (số ngày quá hạn > 0) không thể ở trạng thái trong hạn.",
                      "A loan with days past due cannot be current.")
    if status == "overdue" and days == 0:
        raise invalid("days_past_due", "Khoản vay quá hạn phải có số ngày quá hạn lớn hơn 0.",
                      "An overdue loan has days past due above 0.")
    outstanding = loan.amount_vnd - loan.repaid()[0]
    if status == "closed" and outstanding > 0:
        raise conflict("outstanding_remains",
                       f"Chưa thể tất toán: còn dư nợ gốc {outstanding:,} đồng.",
                       f"The loan cannot be closed: {outstanding:,} VND of principal is outstanding.",
                       "status", outstanding_vnd=outstanding)
