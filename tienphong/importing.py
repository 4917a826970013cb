"""`tienphong import registrations FILE`: send a commune's list to POST /api/v1/imports; `tienphong import
KIND FILE`: a list of events (decisions, fundings ...) to POST /api/v1/imports/{kind} of the service that owns it.

With `--url` the file goes over HTTP to a running registration service. Without it the command runs the
same endpoint in-process (the registration app built from the environment, as `tienphong serve` would),
so an operator on the server needs no running service. Either way the request carries an agency key
(`--token` or TIENPHONG_TOKEN): the permission matrix, the scope and the events' source are the key's.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import Any

from shared.config import from_env

IMPORT_PATH = "/api/v1/imports"
# the lists of events besides registrations, and the service each is sent to (GET/POST /api/v1/imports/{kind})
KINDS = {"decisions": "registration", "evaluations": "registration", "commendations": "registration",
         "replications": "registration", "trainings": "support", "fundings": "support", "supports": "support",
         "repayments": "support"}


def upload(path: Path, token: str, org_unit: str | None = None, url: str | None = None,
           language: str = "vi", kind: str = "registrations") -> tuple[int, dict[str, Any]]:
    content = path.read_bytes()
    service = KINDS.get(kind, "registration")
    endpoint = f"{IMPORT_PATH}/{kind}" if kind in KINDS else IMPORT_PATH
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
    form = {"org_unit": org_unit} if org_unit else {}
    if url:
        import requests  # only for --url: the command line starts without it

        response = requests.post(url.rstrip("/") + endpoint, headers=headers, data=form, timeout=300,
                                 files={"file": (path.name, content)})
        try:
            return response.status_code, dict(response.json())
        except ValueError:
            return response.status_code, {"error": {"code": "not_json", "message": response.text[:500]}}
    if service == "support":
        from services.support.app import create_app as support_app
        app = support_app(from_env("support"))
    else:
        from services.registration.app import create_app
        app = create_app(from_env("registration"))
    reply = app.test_client().post(endpoint, headers=headers, content_type="multipart/form-data",
                                   data={**form, "file": (io.BytesIO(content), path.name)})
    return reply.status_code, dict(reply.get_json(silent=True) or {})


def report(status: int, body: dict[str, Any], out: Any = None) -> int:
    """Print the outcome; 0 when the file was recorded (or had nothing new), 1 when refused."""
    out = out or sys.stdout
    if status < 300:
        print(f"{body['file'] or 'tệp'}: {body['rows']} dòng — {body['message']}.", file=out)
        for row in body.get("participants", []):
            state = "mới" if row["status"] == "registered" else "đã đăng ký trước đó"
            print(f"  dòng {row['row']}: {row['participant_id']} ({state})", file=out)
        for row in body.get("events", []):
            state = "mới" if row["status"] == "recorded" else "đã ghi nhận trước đó"
            print(f"  dòng {row['row']}: {row['event_id']} ({state})", file=out)
        return 0
    error = body.get("error", {})
    print(f"Từ chối ({status} {error.get('code')}): {error.get('message')}", file=out)
    for name, text in (error.get("fields") or {}).items():
        if name != "file" and text != error.get("message"):
            print(f"  {name}: {text}", file=out)
    for row in error.get("rows", []):
        column = f", cột '{row['column']}'" if row["column"] else ""
        print(f"  dòng {row['row']}{column}: {row['message']}", file=out)
    if error.get("truncated"):
        print(f"  ... ({error['problems_total']} lỗi, chỉ liệt kê phần đầu)", file=out)
    return 1


def given_token(args: argparse.Namespace, needed: str = "an agency key") -> str | None:
    """The key a command posts with: --token, else TIENPHONG_TOKEN (None, said on stderr, when neither)."""
    token = args.token or os.environ.get("TIENPHONG_TOKEN")
    if not token:
        print(f"{needed} is needed: --token TOKEN or TIENPHONG_TOKEN", file=sys.stderr)
    return token


def main(args: argparse.Namespace) -> int:
    token = given_token(args)
    if not token:
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    import requests

    try:
        status, body = upload(path, token, getattr(args, "org_unit", None), args.url, kind=args.what)
    except requests.RequestException as exc:
        print(f"could not reach {args.url}: {exc}", file=sys.stderr)
        return 2
    return report(status, body)


def write_template(args: argparse.Namespace) -> int:
    from services.registration.import_layout import REGISTRATIONS
    from shared.imports.template import template_workbook
    from shared.orgunits import load
    tree = load(from_env("registration").org_units_file)
    Path(args.file).write_bytes(template_workbook(REGISTRATIONS, (u for u in tree if u.level == "commune")))
    print(f"template written to {args.file}")
    return 0
