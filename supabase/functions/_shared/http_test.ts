import assert from "node:assert/strict";
import { json, methodNotAllowed, readBodyLimited } from "./http.ts";

Deno.test("json responses carry no CORS header", async () => {
  const res = json(200, { a: 1 });
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(res.headers.get("access-control-allow-origin"), null);
  assert.deepEqual(await res.json(), { a: 1 });
  const r405 = methodNotAllowed(["POST", "GET"]);
  assert.equal(r405.status, 405);
  assert.equal(r405.headers.get("allow"), "POST, GET");
  await r405.body?.cancel();
});

Deno.test("readBodyLimited reads up to the limit and refuses beyond it, with or without Content-Length", async () => {
  const small = new Request("http://x/", { method: "POST", body: "hello" });
  assert.deepEqual(await readBodyLimited(small, 5), { ok: true, text: "hello" });
  const big = new Request("http://x/", { method: "POST", body: "x".repeat(11) });
  assert.deepEqual(await readBodyLimited(big, 10), { ok: false });
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(4096));
    },
  });
  const endless = new Request("http://x/", { method: "POST", body: stream });
  assert.deepEqual(await readBodyLimited(endless, 64 * 1024), { ok: false });
  assert.deepEqual(await readBodyLimited(new Request("http://x/"), 10), { ok: true, text: "" });
});
