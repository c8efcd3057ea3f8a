import assert from "node:assert/strict";
import { signAction } from "../_shared/action_token.ts";
import { withEnv } from "../_shared/testing/env.ts";
import { handler } from "./index.ts";

const SECRET = "a-secret-of-at-least-thirty-two-characters";
const BASE = "http://127.0.0.1/functions/v1/alert-action";

const ENV = { ALERT_ACTION_SECRET: SECRET, SUPABASE_DB_URL: "postgres://nobody@127.0.0.1:1/none" };

Deno.test("alert-action: only GET and POST (405 with Allow)", () =>
  withEnv(ENV, async () => {
    const res = await handler(new Request(BASE, { method: "DELETE" }));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, POST");
    await res.body?.cancel();
  }));

Deno.test("alert-action: 503 page naming the setting when no secret is set", () =>
  withEnv({}, async () => {
    const res = await handler(new Request(`${BASE}?t=x`));
    assert.equal(res.status, 503);
    assert.match(await res.text(), /ALERT_ACTION_SECRET/);
  }));

Deno.test("alert-action: a tampered or foreign token gets 403 before the database is asked", () =>
  withEnv(ENV, async () => {
    const claims = {
      alertId: "0b1c2d3e-0000-4000-8000-000000000001",
      notificationId: "0b1c2d3e-0000-4000-8000-000000000002",
      action: "acknowledge" as const,
    };
    const foreign = await signAction(claims, "another-secret-of-thirty-two-characters!!");
    for (const token of [foreign, "v1.x.y", ""]) {
      const res = await handler(new Request(`${BASE}?t=${encodeURIComponent(token)}`));
      assert.equal(res.status, 403);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      await res.body?.cancel();
    }
    const post = await handler(
      new Request(BASE, { method: "POST", body: new URLSearchParams({ t: foreign, by: "mallory" }) }),
    );
    assert.equal(post.status, 403);
    await post.body?.cancel();
  }));

Deno.test("alert-action: 413 on a form over 4 KB", () =>
  withEnv(ENV, async () => {
    const res = await handler(new Request(BASE, { method: "POST", body: "t=" + "x".repeat(5000) }));
    assert.equal(res.status, 413);
    await res.body?.cancel();
  }));
