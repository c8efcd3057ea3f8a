import assert from "node:assert/strict";
import { classifyError, classifyResponse, parseRetryAfter, type Provider } from "./classify.ts";

function res(status: number, body = "", headers: Record<string, string> = {}) {
  return { status, body, headers: new Headers(headers) };
}
const resendError = (status: number, name: string, message = "msg") =>
  res(status, JSON.stringify({ statusCode: status, name, message }));
const twilioError = (status: number, code: number, message = "msg") =>
  res(status, JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));

const NOW = Date.parse("2026-11-29T19:00:00Z");

Deno.test("parseRetryAfter reads seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("30", NOW), 30);
  assert.equal(parseRetryAfter(" 0 ", NOW), 0);
  assert.equal(parseRetryAfter("Sun, 29 Nov 2026 19:01:30 GMT", NOW), 90);
  assert.equal(parseRetryAfter("Sun, 29 Nov 2026 18:00:00 GMT", NOW), 0, "a date in the past means now");
  assert.equal(parseRetryAfter("soon", NOW), undefined);
  assert.equal(parseRetryAfter(null, NOW), undefined);
  assert.equal(parseRetryAfter("99999999", NOW), 86_400, "clamped to a day");
});

Deno.test("2xx is sent, with the provider's id", () => {
  assert.deepEqual(classifyResponse("resend", res(200, JSON.stringify({ id: "re_1" }))), {
    outcome: "sent",
    statusCode: 200,
    providerId: "re_1",
  });
  assert.deepEqual(classifyResponse("twilio", res(201, JSON.stringify({ sid: "SM1", status: "queued" }))), {
    outcome: "sent",
    statusCode: 201,
    providerId: "SM1",
  });
  assert.deepEqual(classifyResponse("slack", res(200, "ok")), { outcome: "sent", statusCode: 200 });
});

Deno.test("slack needs the body ok: any other 200 is not a confirmed post", () => {
  const o = classifyResponse("slack", res(200, "<html>proxy</html>"));
  assert.equal(o.outcome, "permanent");
  assert.match(o.error!, /unexpected_response/);
});

Deno.test("429 retries with Retry-After (seconds or date)", () => {
  for (const provider of ["resend", "slack", "twilio"] as Provider[]) {
    const o = classifyResponse(provider, res(429, "rate_limited", { "Retry-After": "7" }), [], NOW);
    assert.deepEqual({ outcome: o.outcome, retryAfterSeconds: o.retryAfterSeconds }, {
      outcome: "retry",
      retryAfterSeconds: 7,
    });
  }
  const dated = classifyResponse("slack", res(429, "", { "retry-after": "Sun, 29 Nov 2026 19:00:42 GMT" }), [], NOW);
  assert.equal(dated.retryAfterSeconds, 42);
  const twilio = classifyResponse("twilio", twilioError(429, 20429, "Too Many Requests"));
  assert.equal(twilio.outcome, "retry");
  assert.equal(twilio.retryAfterSeconds, undefined);
  assert.equal(twilio.error, "twilio 429 20429: Too Many Requests");
  assert.equal(classifyResponse("resend", resendError(429, "rate_limit_exceeded")).outcome, "retry");
});

Deno.test("Resend daily/monthly quota 429s are permanent", () => {
  for (const name of ["daily_quota_exceeded", "monthly_quota_exceeded"]) {
    const o = classifyResponse("resend", resendError(429, name, "You have reached your quota"), [], NOW);
    assert.equal(o.outcome, "permanent");
    assert.equal(o.statusCode, 429);
    assert.equal(o.error, `resend 429 ${name}: You have reached your quota`);
  }
});

Deno.test("5xx and 408 retry", () => {
  assert.equal(classifyResponse("resend", resendError(500, "internal_server_error")).outcome, "retry");
  assert.equal(classifyResponse("slack", res(500, "rollup_error")).outcome, "retry");
  assert.equal(classifyResponse("twilio", res(503, "")).outcome, "retry");
  assert.equal(classifyResponse("slack", res(408, "")).outcome, "retry");
  const o = classifyResponse("resend", res(503, "", { "Retry-After": "120" }));
  assert.equal(o.retryAfterSeconds, 120);
});

Deno.test("other 4xx are permanent and name the provider's error code", () => {
  const cases: [Provider, ReturnType<typeof res>, string][] = [
    ["slack", res(404, "no_service"), "slack 404 no_service"],
    ["slack", res(410, "channel_is_archived"), "slack 410 channel_is_archived"],
    ["slack", res(400, "invalid_blocks"), "slack 400 invalid_blocks"],
    ["slack", res(403, "action_prohibited"), "slack 403 action_prohibited"],
    [
      "resend",
      resendError(422, "validation_error", "Invalid `to` field"),
      "resend 422 validation_error: Invalid `to` field",
    ],
    [
      "resend",
      resendError(403, "invalid_api_key", "API key is invalid"),
      "resend 403 invalid_api_key: API key is invalid",
    ],
    ["resend", resendError(409, "invalid_idempotent_request"), "resend 409 invalid_idempotent_request: msg"],
    ["twilio", twilioError(400, 21211, "Invalid 'To' Phone Number"), "twilio 400 21211: Invalid 'To' Phone Number"],
    ["twilio", twilioError(401, 20003, "Authenticate"), "twilio 401 20003: Authenticate"],
  ];
  for (const [provider, response, error] of cases) {
    assert.deepEqual(classifyResponse(provider, response), {
      outcome: "permanent",
      statusCode: response.status,
      error,
    });
  }
});

Deno.test("Resend concurrent_idempotent_requests (same key still in flight) retries", () => {
  assert.equal(classifyResponse("resend", resendError(409, "concurrent_idempotent_requests")).outcome, "retry");
});

Deno.test("errors never carry the secrets", () => {
  const key = "re_live_supersecretkey";
  const o = classifyResponse("resend", resendError(401, "restricted_api_key", `key ${key} is restricted`), [key]);
  assert.ok(!o.error!.includes(key));
  assert.match(o.error!, /\[redacted\]/);
});

Deno.test("timeouts and network errors retry, without the URL", () => {
  const timeout = classifyError(new DOMException("Signal timed out.", "TimeoutError"), "slack", 10_000);
  assert.deepEqual(timeout, { outcome: "retry", error: "slack timeout after 10000 ms" });
  const hook = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";
  const network = classifyError(
    new TypeError(`error sending request for url (${hook}): connection refused`),
    "slack",
    10_000,
    [hook],
  );
  assert.equal(network.outcome, "retry");
  assert.ok(!network.error!.includes("XXXXSECRET"));
  assert.match(network.error!, /^slack network error: /);
});
