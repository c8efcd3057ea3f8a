import assert from "node:assert/strict";
import { combine, configuredChannels, sendNotification } from "./send.ts";
import { withEnv } from "./testing/env.ts";

Deno.test("combine: all sent is sent, any retry is retry, otherwise permanent", () => {
  assert.deepEqual(
    combine([{ outcome: "sent", statusCode: 200, providerId: "a" }, { outcome: "sent", providerId: "b" }]),
    {
      outcome: "sent",
      statusCode: 200,
      providerId: "a,b",
    },
  );
  const retry = combine([
    { outcome: "sent", statusCode: 200 },
    { outcome: "permanent", statusCode: 400, error: "bad number" },
    { outcome: "retry", statusCode: 429, retryAfterSeconds: 5, error: "slow down" },
    { outcome: "retry", statusCode: 503, retryAfterSeconds: 30, error: "down" },
  ]);
  assert.equal(retry.outcome, "retry");
  assert.equal(retry.statusCode, 429);
  assert.equal(retry.retryAfterSeconds, 30, "wait for the slowest");
  assert.equal(retry.error, "3 of 4 requests failed: bad number; slow down; down");
  const permanent = combine([{ outcome: "permanent", statusCode: 400, error: "bad" }, {
    outcome: "permanent",
    statusCode: 401,
    error: "bad",
  }]);
  assert.deepEqual(permanent, { outcome: "permanent", statusCode: 400, error: "2 of 2 requests failed: bad" });
  assert.deepEqual(combine([{ outcome: "retry", error: "x" }]), { outcome: "retry", error: "x" });
});

Deno.test("combine: recipients reached are reported, and a partial permanent failure still counts as sent", () => {
  const partial = combine([
    { outcome: "sent", recipient: "sms:+1" },
    { outcome: "permanent", statusCode: 400, error: "21610 unsubscribed", recipient: "sms:+2" },
  ]);
  assert.equal(partial.outcome, "sent");
  assert.deepEqual(partial.delivered, ["sms:+1"]);
  assert.match(partial.error!, /21610 unsubscribed/);
  const retry = combine([{ outcome: "sent", recipient: "sms:+1" }, { outcome: "retry", recipient: "sms:+2" }]);
  assert.equal(retry.outcome, "retry");
  assert.deepEqual(retry.delivered, ["sms:+1"]);
  assert.equal(combine([], 2).outcome, "sent", "everyone was reached before");
  assert.equal(combine([{ outcome: "permanent", error: "x", recipient: "sms:+2" }], 1).outcome, "sent");
});

Deno.test("sendNotification: unknown channel is permanent", async () => {
  const o = await sendNotification({
    id: "1",
    channel: "pager",
    event: "firing",
    attempts: 1,
    idempotency_key: "k",
    payload: {},
  });
  assert.deepEqual(o, { outcome: "permanent", error: "unknown channel pager" });
});

Deno.test("configuredChannels lists only channels with every secret set", async () => {
  await withEnv({}, () => assert.deepEqual(configuredChannels(), []));
  await withEnv({
    ALERT_SLACK_WEBHOOK_URL: "https://hooks.example.com/x",
    RESEND_API_KEY: "k",
    FROM_EMAIL: "a@example.com",
    ALERT_EMAIL_RECIPIENTS: "b@example.com",
    TWILIO_ACCOUNT_SID: "AC1",
  }, () => assert.deepEqual(configuredChannels(), ["email", "slack"]));
});
