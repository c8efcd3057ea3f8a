import assert from "node:assert/strict";
import { startCaptureServer } from "../testing/capture_server.ts";
import { withEnv } from "../testing/env.ts";
import type { Notification } from "../types.ts";
import { chunk, chunkIdempotencyKey, sendEmail } from "./resend.ts";
import { sendSlack } from "./slack.ts";
import { sendSms } from "./twilio.ts";

const notification: Notification = {
  id: "7f6e5d4c-0000-4000-8000-000000000001",
  channel: "email",
  event: "firing",
  attempts: 1,
  idempotency_key: "alert-7f6e:firing:1",
  payload: {
    alert_id: "7f6e5d4c-0000-4000-8000-0000000000aa",
    title: "Error rate <high>",
    message: "5.2% of requests failed & rising",
    severity: "critical",
    status: "firing",
    event: "firing",
  },
};

const emailEnv = (url: string, recipients: string) => ({
  RESEND_API_URL: url,
  RESEND_API_KEY: "re_test_key_123",
  FROM_EMAIL: "alerts@example.com",
  FROM_NAME: "Ops <Alerts>",
  ALERT_EMAIL_RECIPIENTS: recipients,
});

Deno.test("chunking: at most 50 recipients per request, keys suffixed only when split", () => {
  const list = Array.from({ length: 120 }, (_, i) => `r${i}@example.com`);
  assert.deepEqual(chunk(list, 50).map((c) => c.length), [50, 50, 20]);
  assert.deepEqual(chunk(list.slice(0, 50), 50).map((c) => c.length), [50]);
  assert.deepEqual(chunk([], 50), []);
  assert.equal(chunkIdempotencyKey("k", 0, 1), "k");
  assert.equal(chunkIdempotencyKey("k", 2, 3), "k:2");
});

Deno.test("resend: POST /emails with bearer key, idempotency key and the SendEmailRequest body", async () => {
  const server = startCaptureServer(() => ({ status: 200, body: JSON.stringify({ id: "re_msg_1" }) }));
  try {
    const outcomes = await withEnv(
      emailEnv(server.url, " ops@example.com, ,admin@example.com ,"),
      () => sendEmail(notification),
    );
    assert.deepEqual(outcomes, [{
      outcome: "sent",
      statusCode: 200,
      providerId: "re_msg_1",
      recipient: "email:alert-7f6e:firing:1",
    }]);
    assert.equal(server.requests.length, 1);
    const [req] = server.requests;
    assert.equal(req.method, "POST");
    assert.equal(req.path, "/emails");
    assert.equal(req.headers.get("authorization"), "Bearer re_test_key_123");
    assert.equal(req.headers.get("content-type"), "application/json");
    assert.equal(req.headers.get("idempotency-key"), "alert-7f6e:firing:1");
    const body = JSON.parse(req.body);
    assert.deepEqual(Object.keys(body).sort(), ["from", "html", "subject", "text", "to"]);
    assert.equal(body.from, "Ops Alerts <alerts@example.com>");
    assert.deepEqual(body.to, ["ops@example.com", "admin@example.com"]);
    assert.equal(body.subject, "[CRITICAL] FIRING: Error rate <high>");
    assert.ok(body.html.includes("Error rate &lt;high&gt;"));
    assert.ok(body.text.includes("5.2% of requests failed & rising"));
  } finally {
    await server.close();
  }
});

Deno.test("resend: 120 recipients become 3 requests with their own idempotency keys", async () => {
  const server = startCaptureServer((_, i) => ({ status: 200, body: JSON.stringify({ id: `re_${i}` }) }));
  try {
    const recipients = Array.from({ length: 120 }, (_, i) => `r${i}@example.com`).join(",");
    const outcomes = await withEnv(emailEnv(server.url, recipients), () => sendEmail(notification));
    assert.equal(outcomes.length, 3);
    assert.deepEqual(server.requests.map((r) => JSON.parse(r.body).to.length), [50, 50, 20]);
    assert.deepEqual(server.requests.map((r) => r.headers.get("idempotency-key")), [
      "alert-7f6e:firing:1:0",
      "alert-7f6e:firing:1:1",
      "alert-7f6e:firing:1:2",
    ]);
    const all = server.requests.flatMap((r) => JSON.parse(r.body).to);
    assert.equal(new Set(all).size, 120);
  } finally {
    await server.close();
  }
});

Deno.test("resend: missing configuration is a permanent outcome naming the variable", async () => {
  const outcomes = await withEnv(
    { FROM_EMAIL: "a@example.com", ALERT_EMAIL_RECIPIENTS: "ops@example.com" },
    () => sendEmail(notification),
  );
  assert.deepEqual(outcomes, [{ outcome: "permanent", error: "channel email is not configured: set RESEND_API_KEY" }]);
  const none = await withEnv(
    { RESEND_API_KEY: "k", FROM_EMAIL: "a@example.com", ALERT_EMAIL_RECIPIENTS: " , " },
    () => sendEmail(notification),
  );
  assert.equal(none[0].error, "channel email is not configured: set ALERT_EMAIL_RECIPIENTS");
});

Deno.test("resend: an error answer is classified and keeps the key out of the error", async () => {
  const server = startCaptureServer(() => ({
    status: 422,
    body: JSON.stringify({ statusCode: 422, name: "validation_error", message: "Invalid `from` field." }),
  }));
  try {
    const [outcome] = await withEnv(emailEnv(server.url, "ops@example.com"), () => sendEmail(notification));
    assert.deepEqual(outcome, {
      outcome: "permanent",
      statusCode: 422,
      error: "resend 422 validation_error: Invalid `from` field.",
      recipient: "email:alert-7f6e:firing:1",
    });
  } finally {
    await server.close();
  }
});

Deno.test("slack: POST {text, blocks} to the webhook; 200 ok is sent", async () => {
  const server = startCaptureServer(() => ({ status: 200, body: "ok" }));
  try {
    const outcomes = await withEnv(
      { ALERT_SLACK_WEBHOOK_URL: `${server.url}/services/T0/B0/secret` },
      () => sendSlack({ ...notification, channel: "slack" }),
    );
    assert.deepEqual(outcomes, [{ outcome: "sent", statusCode: 200 }]);
    const [req] = server.requests;
    assert.equal(req.method, "POST");
    assert.equal(req.path, "/services/T0/B0/secret");
    assert.equal(req.headers.get("content-type"), "application/json");
    const body = JSON.parse(req.body);
    assert.deepEqual(Object.keys(body).sort(), ["blocks", "text"]);
    assert.equal(body.blocks[0].type, "header");
    assert.equal(body.blocks[0].text.text, "[CRITICAL] FIRING: Error rate <high>");
    assert.equal(body.blocks[1].text.text, "5.2% of requests failed &amp; rising");
  } finally {
    await server.close();
  }
});

Deno.test("slack: 404 no_service is permanent; a refused connection retries; the URL never leaks", async () => {
  const server = startCaptureServer(() => ({ status: 404, body: "no_service" }));
  const hook = `${server.url}/services/T0/B0/verysecretpath`;
  try {
    const [gone] = await withEnv({ ALERT_SLACK_WEBHOOK_URL: hook }, () => sendSlack(notification));
    assert.deepEqual(gone, { outcome: "permanent", statusCode: 404, error: "slack 404 no_service" });
  } finally {
    await server.close();
  }
  const [down] = await withEnv({ ALERT_SLACK_WEBHOOK_URL: hook }, () => sendSlack(notification));
  assert.equal(down.outcome, "retry");
  assert.ok(!down.error!.includes("verysecretpath"), down.error);
  const [missing] = await withEnv({}, () => sendSlack(notification));
  assert.deepEqual(missing, {
    outcome: "permanent",
    error: "channel slack is not configured: set ALERT_SLACK_WEBHOOK_URL",
  });
});

Deno.test("slack: a provider slower than PROVIDER_TIMEOUT_MS is a retry", async () => {
  const server = startCaptureServer(() => ({ status: 200, body: "ok", delayMs: 2000 }));
  try {
    const [outcome] = await withEnv(
      { ALERT_SLACK_WEBHOOK_URL: `${server.url}/hook`, PROVIDER_TIMEOUT_MS: "100" },
      () => sendSlack(notification),
    );
    assert.deepEqual(outcome, { outcome: "retry", error: "slack timeout after 100 ms" });
  } finally {
    await server.close();
  }
});

Deno.test("twilio: one form POST per number with Basic auth", async () => {
  const server = startCaptureServer((_, i) => ({
    status: 201,
    body: JSON.stringify({ sid: `SM${i}`, status: "queued" }),
  }));
  try {
    const outcomes = await withEnv({
      TWILIO_API_URL: server.url,
      TWILIO_ACCOUNT_SID: "AC123",
      TWILIO_AUTH_TOKEN: "tok_secret",
      TWILIO_FROM_NUMBER: "+15550001111",
      ALERT_SMS_RECIPIENTS: "+15558881111, +15558882222",
    }, () => sendSms({ ...notification, channel: "sms" }));
    assert.deepEqual(outcomes.map((o) => o.providerId), ["SM0", "SM1"]);
    assert.equal(server.requests.length, 2);
    for (const [i, req] of server.requests.entries()) {
      assert.equal(req.method, "POST");
      assert.equal(req.path, "/2010-04-01/Accounts/AC123/Messages.json");
      assert.equal(req.headers.get("authorization"), `Basic ${btoa("AC123:tok_secret")}`);
      assert.equal(req.headers.get("content-type"), "application/x-www-form-urlencoded");
      const form = new URLSearchParams(req.body);
      assert.equal(form.get("To"), ["+15558881111", "+15558882222"][i]);
      assert.equal(form.get("From"), "+15550001111");
      assert.equal(form.get("MessagingServiceSid"), null);
      assert.equal(form.get("Body"), "[CRITICAL] FIRING: Error rate <high> - 5.2% of requests failed & rising");
    }
  } finally {
    await server.close();
  }
});

Deno.test("twilio: a Messaging Service SID replaces From; errors are classified without the token", async () => {
  const server = startCaptureServer(() => ({
    status: 401,
    body: JSON.stringify({ code: 20003, message: "Authenticate", more_info: "x", status: 401 }),
  }));
  try {
    const [outcome] = await withEnv({
      TWILIO_API_URL: server.url,
      TWILIO_ACCOUNT_SID: "AC123",
      TWILIO_AUTH_TOKEN: "tok_secret",
      TWILIO_FROM_NUMBER: "+15550001111",
      TWILIO_MESSAGING_SERVICE_SID: "MG999",
      ALERT_SMS_RECIPIENTS: "+15558881111",
    }, () => sendSms(notification));
    const form = new URLSearchParams(server.requests[0].body);
    assert.equal(form.get("MessagingServiceSid"), "MG999");
    assert.equal(form.get("From"), null);
    assert.deepEqual(outcome, {
      outcome: "permanent",
      statusCode: 401,
      error: "twilio 401 20003: Authenticate",
      recipient: "sms:+15558881111",
    });
  } finally {
    await server.close();
  }
  const [missing] = await withEnv(
    { TWILIO_ACCOUNT_SID: "AC1", ALERT_SMS_RECIPIENTS: "+1555" },
    () => sendSms(notification),
  );
  assert.equal(
    missing.error,
    "channel sms is not configured: set TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID",
  );
});

Deno.test("twilio: numbers an earlier attempt reached are not texted again", async () => {
  const server = startCaptureServer(() => ({ status: 201, body: JSON.stringify({ sid: "SM1", status: "queued" }) }));
  try {
    const outcomes = await withEnv({
      TWILIO_API_URL: server.url,
      TWILIO_ACCOUNT_SID: "AC123",
      TWILIO_AUTH_TOKEN: "tok_secret",
      TWILIO_FROM_NUMBER: "+15550001111",
      ALERT_SMS_RECIPIENTS: "+15550000001,+15550000002",
    }, () => sendSms({ ...notification, delivered_to: ["sms:+15550000001"] }));
    assert.equal(server.requests.length, 1);
    assert.equal(new URLSearchParams(server.requests[0].body).get("To"), "+15550000002");
    assert.deepEqual(outcomes.map((o) => o.recipient), ["sms:+15550000002"]);
  } finally {
    await server.close();
  }
});
