import assert from "node:assert/strict";
import { withActionLinks } from "./action_links.ts";
import { verifyAction } from "./action_token.ts";
import { withEnv } from "./testing/env.ts";
import type { Notification } from "./types.ts";

const SECRET = "a-secret-of-at-least-thirty-two-characters";
const row: Notification = {
  id: "0b1c2d3e-0000-4000-8000-0000000000aa",
  channel: "email",
  event: "firing",
  attempts: 1,
  idempotency_key: "k",
  payload: { alert_id: "0b1c2d3e-0000-4000-8000-0000000000bb", title: "t" },
};

Deno.test(
  "a firing email carries one signed link per action to SUPABASE_URL's alert-action",
  () =>
    withEnv(
      { ALERT_ACTION_SECRET: SECRET, SUPABASE_URL: "https://ref.supabase.co/" },
      async () => {
        const payload = await withActionLinks(row);
        const urls = [payload.actions?.acknowledge, payload.actions?.silence].map((u) => new URL(u!));
        assert.deepEqual(urls.map((u) => u.origin + u.pathname), [
          "https://ref.supabase.co/functions/v1/alert-action",
          "https://ref.supabase.co/functions/v1/alert-action",
        ]);
        const verified = await Promise.all(urls.map((u) => verifyAction(u.searchParams.get("t")!, SECRET)));
        assert.deepEqual(verified.map((v) => v.ok && v.claims.action), ["acknowledge", "silence"]);
        assert.deepEqual(verified.map((v) => v.ok && v.claims.notificationId), [row.id, row.id]);
        assert.deepEqual(await withActionLinks(row), payload); // the same message on every retry
      },
    ),
);

Deno.test(
  "no links without a long enough secret, on a resolve, on SMS or without an alert",
  () =>
    withEnv({ ALERT_ACTION_SECRET: SECRET, ALERT_ACTION_URL: "https://alerts.example.com/a" }, async () => {
      assert.equal((await withActionLinks({ ...row, event: "resolved" })).actions, undefined);
      assert.equal((await withActionLinks({ ...row, channel: "sms" })).actions, undefined);
      assert.equal((await withActionLinks({ ...row, payload: { title: "digest" } })).actions, undefined);
      Deno.env.set("ALERT_ACTION_SECRET", "short");
      assert.equal((await withActionLinks(row)).actions, undefined);
    }),
);
