import assert from "node:assert/strict";
import { route } from "./local_server.ts";
import { withEnv } from "./_shared/testing/env.ts";

Deno.test("local server routes /<name> and /functions/v1/<name> to the functions", async () => {
  await withEnv({}, async () => {
    for (const path of ["/send-alert-notification", "/functions/v1/send-alert-notification"]) {
      const res = await route(new Request(`http://127.0.0.1${path}`, { method: "GET" }));
      assert.equal(res.status, 405, path);
      assert.equal(res.headers.get("allow"), "POST");
      await res.body?.cancel();
    }
    const check = await route(new Request("http://127.0.0.1/functions/v1/check-alert-triggers", { method: "PUT" }));
    assert.equal(check.headers.get("allow"), "POST, GET");
    await check.body?.cancel();
    for (const path of ["/", "/functions/v1/nope", "/toString", "/_shared"]) {
      const res = await route(new Request(`http://127.0.0.1${path}`, { method: "POST" }));
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
  });
});
