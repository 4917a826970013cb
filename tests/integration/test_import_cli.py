"""`tienphong import registrations FILE`: in-process (the default) and over HTTP (--url), with the agency
key from --token or TIENPHONG_TOKEN; the same all-or-nothing import and row-level report as the API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from werkzeug.serving import make_server

from tests.integration.test_import_http import HEADERS, csv_file, person, xlsx_file
from tests.support.broker import free_port
from tests.support.system import System, registration_body
from tests.support.write_checks import leaves_no_trace, shared_system, trace
from tienphong.cli import main


@pytest.fixture(scope="module")
def system(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with shared_system(bootstrap, tmp_path_factory.mktemp("import-cli")) as running:
        yield running


@pytest.fixture
def cli_env(system: System, monkeypatch: pytest.MonkeyPatch) -> System:
    """The command reads its configuration from the environment, as on a server."""
    for name in ("DATABASE_URL", "ACCESS_DATABASE_URL", "TIENPHONG_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in system.env.items():
        monkeypatch.setenv(name, value)
    return system


@pytest.fixture(scope="module")
def token(system: System) -> str:
    return system.key("union", "TX", agency="huyen-doan-tho-xuan")["Authorization"].split(" ", 1)[1]


@pytest.fixture(scope="module")
def registration_url(system: System) -> Iterator[str]:
    """The registration app behind a real HTTP server, for the --url path."""
    port = free_port()
    server = make_server("127.0.0.1", port, system.apps["registration"], threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def names_registered(system: System, token: str, names: list[str]) -> set[str]:
    listing = system.registration.get("/api/v1/participants?page_size=500",
                                      headers={"Authorization": f"Bearer {token}"}).get_json()
    return {item["full_name"] for item in listing["items"]} & set(names)


def test_in_process_a_good_list_is_recorded_and_sending_it_again_records_nothing(
        cli_env: System, token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [person(), person(**{"Ngày sinh": "03/02/1996"})]
    path = tmp_path / "xuan-hoa.xlsx"
    path.write_bytes(xlsx_file(rows))
    before = trace(cli_env)
    assert main(["import", "registrations", str(path), "--token", token]) == 0
    out = capsys.readouterr().out
    assert "xuan-hoa.xlsx: 2 dòng — 2 người mới, 0 người đã đăng ký trước đó." in out
    assert "dòng 2: " in out and "(mới)" in out
    assert trace(cli_env)["registration.events"] == before["registration.events"] + 2
    assert names_registered(cli_env, token, [r["Họ và tên"] for r in rows]) == {r["Họ và tên"] for r in rows}

    with leaves_no_trace(cli_env):
        assert main(["import", "registrations", str(path), "--token", token]) == 0
    out = capsys.readouterr().out
    assert "0 người mới, 2 người đã đăng ký trước đó" in out and "(đã đăng ký trước đó)" in out


def test_in_process_a_list_with_bad_rows_records_nothing_and_names_them(
        cli_env: System, token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [person(), person(**{"Ngày sinh": "31/02/1995"}), person(), person(**{"Giới tính": "?"})]
    path = tmp_path / "loi.xlsx"
    path.write_bytes(xlsx_file(rows))
    with leaves_no_trace(cli_env):
        assert main(["import", "registrations", str(path), "--token", token]) == 1
    out = capsys.readouterr().out
    assert "Từ chối (422 import_rejected): Tệp có 2 dòng lỗi; chưa dòng nào được ghi nhận." in out
    assert "dòng 3, cột 'Ngày sinh': Ngày không hợp lệ: '31/02/1995'." in out
    assert "dòng 5, cột 'Giới tính': Phải là Nam, Nữ hoặc Khác." in out
    assert not names_registered(cli_env, token, [r["Họ và tên"] for r in rows])

    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with leaves_no_trace(cli_env):
        assert main(["import", "registrations", str(path), "--token", token]) == 1
    assert "Từ chối (415 not_a_spreadsheet)" in capsys.readouterr().out


def test_over_http_with_the_key_from_the_environment_and_the_unit_of_the_whole_file(
        cli_env: System, token: str, registration_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TIENPHONG_TOKEN", token)
    rows = [person(), person()]
    path = tmp_path / "tho-lap.csv"
    path.write_bytes(csv_file(rows, headers=[h for h in HEADERS if h != "Mã xã/thị trấn"]))
    argv = ["import", "registrations", str(path), "--org-unit", "TX-THOLAP", "--url", registration_url]
    assert main(argv) == 0
    assert "2 người mới" in capsys.readouterr().out
    listing = cli_env.registration.get("/api/v1/participants?org_unit=TX-THOLAP&page_size=500",
                                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {r["Họ và tên"] for r in rows} <= {item["full_name"] for item in listing["items"]}
    with leaves_no_trace(cli_env):
        assert main(argv) == 0
        assert "0 người mới, 2 người đã đăng ký trước đó" in capsys.readouterr().out
        assert main([*argv[:-2], "--url", registration_url, "--org-unit", "TS"]) == 1
        assert "Từ chối (403 out_of_scope)" in capsys.readouterr().out


def test_a_list_of_decisions_in_process(cli_env: System, token: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    reply = cli_env.registration.post("/api/v1/participants", json=registration_body(full_name="Hà Văn Quyết"),
                                      headers={"Authorization": f"Bearer {token}"})
    path = tmp_path / "quyet-dinh.csv"
    path.write_text(f"Mã đoàn viên,Quyết định,Nhóm ngành nghề,Ngày quyết định\n"
                    f"{reply.get_json()['participant_id']},Lựa chọn,Chăn nuôi,01/07/2017\n", encoding="utf-8")
    assert main(["import", "decisions", str(path), "--token", token]) == 0
    assert "1 dòng mới được ghi nhận, 0 dòng đã ghi nhận trước đó" in capsys.readouterr().out
    with leaves_no_trace(cli_env):
        assert main(["import", "decisions", str(path), "--token", token]) == 0
    assert "(đã ghi nhận trước đó)" in capsys.readouterr().out


def test_usage_errors(cli_env: System, token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ds.csv"
    path.write_bytes(csv_file([person()]))
    assert main(["import", "registrations", str(path)]) == 2
    assert "TIENPHONG_TOKEN" in capsys.readouterr().err
    assert main(["import", "registrations", str(tmp_path / "missing.xlsx"), "--token", token]) == 2
    assert "no such file" in capsys.readouterr().err
    with leaves_no_trace(cli_env):
        assert main(["import", "registrations", str(path), "--token", token, "--url",
                     f"http://127.0.0.1:{free_port()}"]) == 2
        assert "could not reach" in capsys.readouterr().err
        assert main(["import", "registrations", str(path), "--token", "tp_nope_nope"]) == 1
        assert "Từ chối (401 unauthorized)" in capsys.readouterr().out


def test_the_template_from_the_command_line_filled_in_and_imported(
        cli_env: System, token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mau.xlsx"
    assert main(["import", "template", str(path)]) == 0
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Danh sách"]
    row = person(**{"Ngày sinh": "15/08/1993"})
    for index, header in enumerate(c.value for c in sheet[1]):
        sheet.cell(row=2, column=index + 1, value=row.get(str(header).rstrip(" *"), 1))
    workbook.save(path)
    capsys.readouterr()
    assert main(["import", "registrations", str(path), "--token", token]) == 0
    assert "1 người mới" in capsys.readouterr().out
