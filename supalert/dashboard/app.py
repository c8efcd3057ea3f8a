"""The dashboard's web app (Starlette + Jinja2 with autoescaping). Read-mostly: GET renders, and the three POSTs
(acknowledge, dismiss, silence) call the admin functions; each POST must carry the page's CSRF token and come from
this origin. Off loopback, every request needs the password (HTTP Basic)."""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import psycopg
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from supalert import dburl
from supalert.dashboard import charts, data, panels, runbooks
from supalert.errors import SupalertError

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
TEMPLATES.filters["number"] = panels.number
TEMPLATES.globals["FUNCTION_LABELS"] = panels.FUNCTION_LABELS
SPAN = timedelta(hours=24)


class BasicAuth(BaseHTTPMiddleware):
    def __init__(self, app, password: str):
        super().__init__(app)
        self.expected = "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()

    async def dispatch(self, request: Request, call_next):
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), self.expected.encode()):
            return PlainTextResponse("login required", 401, {"WWW-Authenticate": 'Basic realm="supalert"'})
        return await call_next(request)


def build_charts(snap: data.Snapshot) -> list[str]:
    start = snap.charts["start"]
    by_severity: dict[str, list] = defaultdict(list)
    for row in snap.charts["errors"]:
        by_severity[row["severity"]].append((row["bucket"], float(row["n"])))
    errors = charts.line_chart(
        "Errors per 5 minutes, by severity",
        [charts.Series(sev, pts) for sev, pts in sorted(by_severity.items())],
        start, SPAN,
        [("critical_errors_per_hour / 12", snap.thresholds.get("critical_errors_per_hour", 0) / 12)],
        "errors",
    )  # fmt: skip
    durations = charts.line_chart(
        "Edge-function duration, p50 and p95 per 5 minutes",
        [charts.Series("p50", [(r["bucket"], float(r["p50"])) for r in snap.charts["durations"]]),
         charts.Series("p95", [(r["bucket"], float(r["p95"])) for r in snap.charts["durations"]])],
        start, SPAN,
        [(k, v) for k, v in snap.thresholds.items() if k in ("slow_response_time_ms", "very_slow_response_time_ms")],
        "ms",
    )  # fmt: skip
    by_channel: dict[str, list] = defaultdict(list)
    for row in snap.charts["failures"]:
        by_channel[row["channel"]].append((row["bucket"], float(row["rate"])))
    failures = charts.line_chart(
        "SMS and email failure rate per hour",
        [charts.Series(ch, pts) for ch, pts in sorted(by_channel.items())],
        start, SPAN,
        [("failed_sms_per_hour", snap.thresholds.get("failed_sms_per_hour", 10))],
        "% failed",
    )  # fmt: skip
    return [errors, durations, failures]


LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_PASSWORD = 12


def require_login(host: str, password: str | None) -> None:
    """Refuses (naming the fix) to serve anywhere but loopback without a password of MIN_PASSWORD+ characters."""
    if host not in LOOPBACK and (password is None or len(password) < MIN_PASSWORD):
        raise SupalertError(
            f"serving the dashboard on {host} needs a login",
            f"export DASHBOARD_PASSWORD ({MIN_PASSWORD}+ characters; user name admin), or keep the default 127.0.0.1",
        )


def allowed_hosts(host: str, extra: str | None = None) -> list[str]:
    """The Host headers the dashboard answers: a page on another name (DNS rebinding) must not read it or its CSRF
    token. Loopback: its names. A named interface: that name. All interfaces (0.0.0.0, ::): any name, since the
    login guards it there; DASHBOARD_HOSTS (comma-separated) adds names in every case."""
    names = [n.strip() for n in (extra or "").split(",") if n.strip()]
    if host in LOOPBACK:
        return ["127.0.0.1", "localhost", "::1", "[::1]", *names]
    if host in ("0.0.0.0", "::"):  # noqa: S104 -- recognising the wildcard bind, not binding to it
        return names or ["*"]
    return [host, *names]


def create_app(
    db_url: str, password: str | None = None, stale_after: timedelta | None = None, host: str = "127.0.0.1"
) -> Starlette:
    """The dashboard for the database at db_url, to be served on `host`: anywhere but loopback it refuses to exist
    without a login (Basic auth, user admin, a password of 12+ characters), whoever calls it."""
    require_login(host, password)
    csrf_token = secrets.token_urlsafe(32)

    def connect() -> psycopg.Connection:
        # dburl's: a connect timeout, and a failure that names the URL with its password redacted
        return dburl.connect(db_url, application_name="supalert-dashboard")

    def render(template: str) -> str:
        with connect() as conn:
            snap = data.snapshot(conn, stale_after=stale_after)
        return TEMPLATES.get_template(template).render(
            snap=snap, charts=build_charts(snap), csrf=csrf_token, runbook_keys=runbooks.available()
        )

    async def page(request: Request) -> Response:
        return HTMLResponse(render("page.html"))

    async def runbook(request: Request) -> Response:
        key = request.path_params["key"]
        body = runbooks.render(key)
        if body is None:
            return PlainTextResponse(f"no runbook for {key!r}: shipped rules have one each, in rules/<key>.md", 404)
        return HTMLResponse(TEMPLATES.get_template("runbook.html").render(key=key, body=body))

    async def partial(request: Request) -> Response:
        return HTMLResponse(render("content.html"))

    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin") or request.headers.get("referer")
        if origin is None:
            return True  # not a browser cross-site request (browsers send Origin on POST)
        host = request.headers.get("host", "")
        return origin.split("://", 1)[-1].split("/", 1)[0] == host

    async def act(request: Request) -> Response:
        form = await request.form()
        token = str(form.get("csrf", ""))
        if not hmac.compare_digest(token.encode(), csrf_token.encode()) or not same_origin(request):
            return PlainTextResponse("forbidden: missing or wrong CSRF token, or another origin", 403)
        alert_id, action = request.path_params["alert_id"], request.path_params["action"]
        try:
            with connect() as conn:
                if action == "ack":
                    data.acknowledge(conn, alert_id)
                elif action == "dismiss":
                    data.dismiss(conn, alert_id)
                elif action == "silence":
                    hours = float(str(form.get("hours", "2")))
                    if not 0 < hours <= 24 * 30:
                        return PlainTextResponse("silence between 0 and 720 hours", 400)
                    data.silence(conn, alert_id, hours)
                else:
                    return PlainTextResponse("unknown action", 404)
        except SupalertError as exc:  # could not connect: the message names the URL, password redacted
            return PlainTextResponse(f"could not {action} alert: {exc}", 503)
        except (psycopg.Error, LookupError, ValueError) as exc:
            message = getattr(getattr(exc, "diag", None), "message_primary", None) or type(exc).__name__
            return PlainTextResponse(f"could not {action} alert: {message}", 409)
        return RedirectResponse("/", status_code=303)

    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host, os.environ.get("DASHBOARD_HOSTS")))
    ]
    if password:
        middleware.append(Middleware(BasicAuth, password=password))
    return Starlette(
        routes=[
            Route("/", page),
            Route("/partial", partial),
            Route("/runbooks/{key}", runbook),
            Route("/alerts/{alert_id}/{action}", act, methods=["POST"]),
        ],
        middleware=middleware,
    )
