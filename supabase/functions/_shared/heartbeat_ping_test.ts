import assert from "node:assert/strict";
import { pingHeartbeat } from "./heartbeat_ping.ts";
import { startCaptureServer } from "./testing/capture_server.ts";
import { withEnv } from "./testing/env.ts";

Deno.test("heartbeat ping: not configured without ALERT_HEARTBEAT_URL", async () => {
  assert.equal(await withEnv({}, () => pingHeartbeat()), "not configured");
});

Deno.test("heartbeat ping: one POST to the URL, sent on 2xx", async () => {
  const check = startCaptureServer(() => ({ status: 200, body: "OK" }));
  try {
    const outcome = await withEnv({ ALERT_HEARTBEAT_URL: `${check.url}/ping/uuid-secret` }, () => pingHeartbeat());
    assert.equal(outcome, "sent");
    assert.equal(check.requests.length, 1);
    assert.equal(check.requests[0].method, "POST");
    assert.equal(check.requests[0].path, "/ping/uuid-secret");
  } finally {
    await check.close();
  }
});

Deno.test("heartbeat ping: a failing or slow service is reported without the URL, which holds the check's secret", async () => {
  const failing = startCaptureServer(() => ({ status: 500, body: "down" }));
  const slow = startCaptureServer(() => ({ status: 200, body: "late", delayMs: 2000 }));
  try {
    const url = `${failing.url}/ping/uuid-secret`;
    assert.equal(await withEnv({ ALERT_HEARTBEAT_URL: url }, () => pingHeartbeat()), "failed: HTTP 500");
    const timedOut = await withEnv(
      { ALERT_HEARTBEAT_URL: `${slow.url}/ping/uuid-secret`, HEARTBEAT_PING_TIMEOUT_MS: "200" },
      () => pingHeartbeat(),
    );
    assert.match(timedOut, /^failed: /);
    assert.ok(!timedOut.includes("uuid-secret"), timedOut);
  } finally {
    await failing.close();
    await slow.close();
  }
});
