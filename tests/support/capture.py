"""Local stand-ins for Resend, Slack and Twilio: one pytest-httpserver that checks each request's real shape
(method, path, headers, body; Resend's body against Resend's own published OpenAPI schema), records it, and
answers from a script so a test can make a provider fail on purpose (500, 429 with Retry-After, 404 no_service)."""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import jsonschema
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from supalert.paths import PROJECT_ROOT

# Resend's own OpenAPI (resend/resend-openapi, MIT, see vendor/resend-openapi.LICENSE), copied from the shared
# reference folder so the tests run wherever the repository is cloned; test_vendored_copies proves they match.
RESEND_SPEC = PROJECT_ROOT / "tests" / "vendor" / "resend-openapi.yaml"
SHARED_RESEND_SPEC = PROJECT_ROOT.parent / "shared" / "reference" / "vendor" / "resend-openapi.yaml"
RESEND_KEY = "re_test_key_0123456789"
SLACK_PATH = "/services/T000TEST/B000TEST/slackwebhooksecret"
TWILIO_SID = "AC00000000000000000000000000000000"
TWILIO_TOKEN = "twilio-token-0123456789"
EMAILS = "ops@example.com,admin@example.com"
PHONES = "+15550000001"
# A dead-man's switch check (healthchecks.io's shape: the check's id in the path is its secret).
HEARTBEAT_PATH = "/ping/6f1c0a52-supalert-test-check"


def _resend_validator() -> jsonschema.Draft202012Validator:
    spec = yaml.safe_load(RESEND_SPEC.read_text())
    schema = {"$ref": "#/components/schemas/SendEmailRequest", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


@dataclass
class Captured:
    channel: str
    headers: dict[str, str]
    body: dict
    status: int
    at: float = field(default_factory=time.monotonic)


@dataclass
class Capture:
    server: HTTPServer
    requests: list[Captured] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    plans: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Chaos: the share of requests that fail at random (500, 429 with Retry-After, or too slow to answer in time).
    failure_rate: float = 0.0
    slow_seconds: float = 0.5
    chaos: random.Random = field(default_factory=lambda: random.Random(20261129))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def fail_next(self, channel: str, *responses: tuple[int, str, dict[str, str]]) -> None:
        """Answer the next requests of `channel` with these (status, body, headers) before the normal success."""
        self.plans[channel].extend(responses)

    def of(self, channel: str) -> list[Captured]:
        with self.lock:
            return [r for r in self.requests if r.channel == channel]

    @property
    def heartbeat_url(self) -> str:
        """For ALERT_HEARTBEAT_URL (not in env(): most tests count every request)."""
        return self.url + HEARTBEAT_PATH

    def env(self) -> dict[str, str]:
        return {
            "RESEND_API_URL": self.url,
            "RESEND_API_KEY": RESEND_KEY,
            "FROM_EMAIL": "alerts@example.com",
            "FROM_NAME": "supalert tests",
            "ALERT_EMAIL_RECIPIENTS": EMAILS,
            "ALERT_SLACK_WEBHOOK_URL": self.url + SLACK_PATH,
            "TWILIO_API_URL": self.url,
            "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_FROM_NUMBER": "+15559999999",
            "ALERT_SMS_RECIPIENTS": PHONES,
        }

    def _answer(self, channel: str, success: Response, request_record: Captured) -> Response:
        with self.lock:
            plan = self.plans[channel]
            planned = plan.popleft() if plan else None
            roll = self.chaos.random()
        if planned is None and roll < self.failure_rate:
            kind = roll / self.failure_rate  # which failure, uniformly
            if kind < 0.5:
                planned = (500, '{"name": "internal_server_error", "message": "chaos"}', {})
            elif kind < 0.8:
                planned = (429, '{"name": "rate_limit_exceeded", "message": "chaos"}', {"Retry-After": "1"})
            else:
                time.sleep(self.slow_seconds)  # longer than the sender's timeout: it gives up and retries
                planned = (200, json.dumps({"id": "too-late"}), {})
        response = success if planned is None else Response(planned[1], status=planned[0], headers=planned[2])
        request_record.status = response.status_code
        with self.lock:
            self.requests.append(request_record)
        return response

    def handle_resend(self, request: Request) -> Response:
        headers = dict(request.headers)
        body = json.loads(request.get_data() or b"null")
        if headers.get("Authorization") != f"Bearer {RESEND_KEY}":
            self.problems.append("resend: bad Authorization")
        if not headers.get("Idempotency-Key") or len(headers["Idempotency-Key"]) > 256:
            self.problems.append("resend: missing or long Idempotency-Key")
        if not request.content_type.startswith("application/json"):
            self.problems.append(f"resend: content type {request.content_type}")
        errors = [e.message for e in _VALIDATOR.iter_errors(body)]
        if errors:
            self.problems.append(f"resend: body does not match SendEmailRequest: {errors}")
        ok = Response(json.dumps({"id": f"email_{len(self.requests)}"}), status=200, content_type="application/json")
        return self._answer("email", ok, Captured("email", headers, body, 0))

    def handle_slack(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"null")
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body.get("blocks"):
            self.problems.append("slack: body needs text and blocks")
        elif len(body["blocks"]) > 50:
            self.problems.append("slack: more than 50 blocks")
        else:
            for block in body["blocks"]:
                text = (block.get("text") or {}).get("text", "")
                if block["type"] == "header" and len(text) > 150:
                    self.problems.append("slack: header over 150 characters")
                fields = block.get("fields") or []
                if block["type"] == "section" and not (0 < len(text) <= 3000 or fields):
                    self.problems.append("slack: section text not within 1..3000")
                if len(fields) > 10 or any(not 0 < len(f.get("text", "")) <= 2000 for f in fields):
                    self.problems.append("slack: section fields over 10 or over 2000 characters")
        return self._answer("slack", Response("ok", status=200), Captured("slack", dict(request.headers), body, 0))

    def handle_twilio(self, request: Request) -> Response:
        headers = dict(request.headers)
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if headers.get("Authorization") != expected:
            self.problems.append("twilio: bad Basic auth")
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            self.problems.append(f"twilio: content type {request.content_type}")
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        if not form.get("To", "").startswith("+") or not form.get("Body") or len(form["Body"]) > 1600:
            self.problems.append(f"twilio: bad form {sorted(form)}")
        if "From" not in form and "MessagingServiceSid" not in form:
            self.problems.append("twilio: no From")
        ok = Response(json.dumps({"sid": f"SM{len(self.requests):032d}", "status": "queued"}), status=201,
                      content_type="application/json")  # fmt: skip
        return self._answer("sms", ok, Captured("sms", headers, form, 0))

    def handle_heartbeat(self, request: Request) -> Response:
        record = Captured("heartbeat", dict(request.headers), {"text": request.get_data(as_text=True)}, 200)
        with self.lock:
            self.requests.append(record)
        return Response("OK", status=200)


_VALIDATOR = _resend_validator()


def start_capture() -> Capture:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    capture = Capture(server)
    server.expect_request("/emails", method="POST").respond_with_handler(capture.handle_resend)
    server.expect_request(SLACK_PATH, method="POST").respond_with_handler(capture.handle_slack)
    server.expect_request(f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json", method="POST").respond_with_handler(
        capture.handle_twilio
    )
    server.expect_request(HEARTBEAT_PATH).respond_with_handler(capture.handle_heartbeat)
    return capture
