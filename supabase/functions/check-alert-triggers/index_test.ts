import assert from "node:assert/strict";
import { closeDb } from "../_shared/db.ts";
import { startCaptureServer } from "../_shared/testing/capture_server.ts";
import { withEnv } from "../_shared/testing/env.ts";
import { resetWatchdog } from "../_shared/watchdog.ts";
import { handler } from "./index.ts";

const SECRET = "dispatch-secret-for-tests";
const auth = { authorization: `Bearer ${SECRET}` };
const UNREACHABLE = "postgresql://postgres:pa55w0rd-secret@127.0.0.1:1/postgres";

Deno.test("check-alert-triggers: 405 for methods other than POST and GET", async () => {
  const res = await withEnv(
    { ALERT_DISPATCH_SECRET: SECRET },
    () => handler(new Request("http://localhost/", { method: "PUT", headers: auth })),
  );
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "POST, GET");
  assert.match((await res.json()).error, /method not allowed/);
});

Deno.test("check-alert-triggers: 401 without valid credentials", async () => {
  const cases: Record<string, string>[] = [{}, { authorization: "Bearer nope" }, { apikey: "nope" }];
  for (const headers of cases) {
    const res = await withEnv(
      { ALERT_DISPATCH_SECRET: SECRET },
      () => handler(new Request("http://localhost/", { method: "POST", headers })),
    );
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
});

Deno.test("check-alert-triggers: database unreachable -> watchdog through every channel, once per interval", async () => {
  resetWatchdog();
  const resend = startCaptureServer(() => ({ status: 200, body: JSON.stringify({ id: "re_wd" }) }));
  const slack = startCaptureServer(() => ({ status: 200, body: "ok" }));
  const twilio = startCaptureServer(() => ({ status: 201, body: JSON.stringify({ sid: "SMwd" }) }));
  const vars = {
    ALERT_DISPATCH_SECRET: SECRET,
    SUPABASE_DB_URL: UNREACHABLE,
    RESEND_API_URL: resend.url,
    RESEND_API_KEY: "re_key",
    FROM_EMAIL: "alerts@example.com",
    ALERT_EMAIL_RECIPIENTS: "ops@example.com",
    ALERT_SLACK_WEBHOOK_URL: `${slack.url}/services/hook`,
    TWILIO_API_URL: twilio.url,
    TWILIO_ACCOUNT_SID: "AC1",
    TWILIO_AUTH_TOKEN: "tok",
    TWILIO_FROM_NUMBER: "+15550000000",
    ALERT_SMS_RECIPIENTS: "+15551111111",
    WATCHDOG_INTERVAL_SECONDS: "3600",
  };
  try {
    const before = Math.floor(Date.now() / 1000 / 3600);
    const res = await withEnv(vars, () => handler(new Request("http://localhost/", { method: "POST", headers: auth })));
    const body = await res.json();
    assert.equal(res.status, 503);
    assert.equal(body.error, "database unreachable");
    assert.deepEqual(body.watchdog, {
      reason: "unreachable",
      sent: ["email", "slack", "sms"],
      failed: [],
      suppressed: false,
    });
    assert.ok(!JSON.stringify(body).includes("pa55w0rd"));

    const key = resend.requests[0].headers.get("idempotency-key")!;
    const bucket = Number(key.replace("watchdog-", ""));
    assert.match(key, /^watchdog-\d+$/);
    assert.ok(bucket === before || bucket === before + 1);
    const email = JSON.parse(resend.requests[0].body);
    assert.equal(email.subject, "[CRITICAL] FIRING: supalert monitoring is down");
    assert.equal(
      JSON.parse(slack.requests[0].body).blocks[0].text.text,
      "[CRITICAL] FIRING: supalert monitoring is down",
    );
    assert.match(new URLSearchParams(twilio.requests[0].body).get("Body")!, /supalert monitoring is down/);

    const again = await withEnv(
      vars,
      () => handler(new Request("http://localhost/", { method: "GET", headers: auth })),
    );
    const againBody = await again.json();
    assert.equal(again.status, 503);
    assert.deepEqual(againBody.watchdog, { reason: "unreachable", sent: [], failed: [], suppressed: true });
    assert.equal(resend.requests.length + slack.requests.length + twilio.requests.length, 3, "nothing sent twice");
  } finally {
    resetWatchdog();
    await closeDb();
    await Promise.all([resend.close(), slack.close(), twilio.close()]);
  }
});

Deno.test("check-alert-triggers: no database URL -> 503 naming the variable; failed sends do not start the interval", async () => {
  resetWatchdog();
  const slack = startCaptureServer(() => ({ status: 500, body: "rollup_error" }));
  try {
    const vars = { ALERT_DISPATCH_SECRET: SECRET, ALERT_SLACK_WEBHOOK_URL: `${slack.url}/hook` };
    const first = await withEnv(
      vars,
      () => handler(new Request("http://localhost/", { method: "POST", headers: auth })),
    );
    const body = await first.json();
    assert.equal(first.status, 503);
    assert.equal(body.error, "database not configured: set SUPABASE_DB_URL");
    assert.equal(body.watchdog.reason, "unconfigured");
    assert.deepEqual(body.watchdog.sent, []);
    assert.deepEqual(body.watchdog.failed, [{ channel: "slack", error: "slack 500 rollup_error" }]);
    const second = await withEnv(
      vars,
      () => handler(new Request("http://localhost/", { method: "POST", headers: auth })),
    );
    assert.equal((await second.json()).watchdog.suppressed, false, "every channel failed: try again next run");
    assert.equal(slack.requests.length, 2);
  } finally {
    resetWatchdog();
    await closeDb();
    await slack.close();
  }
});
