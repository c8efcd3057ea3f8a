import assert from "node:assert/strict";
import { closeDb } from "../_shared/db.ts";
import { withEnv } from "../_shared/testing/env.ts";
import { handler, MAX_BODY_BYTES } from "./index.ts";

const KEY = "service-role-key-for-tests";
const auth = { authorization: `Bearer ${KEY}` };
const good = { severity: "high", title: "Disk almost full", message: "92%", category: "db.disk" };

function post(body: BodyInit | null, headers: Record<string, string> = auth): Request {
  return new Request("http://localhost/send-alert-notification", { method: "POST", headers, body });
}

async function call(req: Request, vars: Record<string, string> = { SUPABASE_SERVICE_ROLE_KEY: KEY }) {
  const res = await withEnv(vars, () => handler(req));
  return { res, body: await res.json() };
}

Deno.test("send-alert-notification: only POST (405 with Allow)", async () => {
  for (const method of ["GET", "PUT", "DELETE", "OPTIONS"]) {
    const { res, body } = await call(new Request("http://localhost/", { method, headers: auth }));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST");
    assert.match(body.error, /method not allowed/);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  }
});

Deno.test("send-alert-notification: 401 without valid credentials, before the body is read", async () => {
  let pulled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled = true;
      controller.close();
    },
  }, { highWaterMark: 0 });
  const req = post(stream, { authorization: "Bearer forged" });
  const { res, body } = await call(req);
  assert.equal(res.status, 401);
  assert.match(body.error, /unauthorized/);
  assert.equal(res.headers.get("www-authenticate"), "Bearer");
  assert.equal(pulled, false, "the body of an unauthenticated request is never read");
  assert.equal(req.bodyUsed, false);
  assert.equal((await call(post(JSON.stringify(good), {}))).res.status, 401);
  assert.equal((await call(post(JSON.stringify(good)), {})).res.status, 401, "no secret configured: nobody passes");
});

Deno.test("send-alert-notification: 400 on a body that is not JSON", async () => {
  for (const text of ["not json", "", "{", "{'a': 1}"]) {
    const { res, body } = await call(post(text));
    assert.equal(res.status, 400);
    assert.deepEqual(body, { error: "request body is not valid JSON", field: null });
  }
});

Deno.test("send-alert-notification: 400 names the invalid field", async () => {
  const cases: [unknown, string | null][] = [
    [[1, 2], null],
    [{ ...good, title: "" }, "title"],
    [{ ...good, severity: "urgent" }, "severity"],
    [{ ...good, category: "a b" }, "category"],
    [{ ...good, message: 5 }, "message"],
    [{ ...good, metadata: [] }, "metadata"],
    [{ ...good, extra: 1 }, "extra"],
  ];
  for (const [input, field] of cases) {
    const { res, body } = await call(post(JSON.stringify(input)));
    assert.equal(res.status, 400, JSON.stringify(input));
    assert.equal(body.field, field);
    assert.equal(typeof body.error, "string");
  }
});

Deno.test("send-alert-notification: 413 on a body over 64 KB", async () => {
  const big = JSON.stringify({ ...good, message: "x".repeat(MAX_BODY_BYTES) });
  const { res, body } = await call(post(big));
  assert.equal(res.status, 413);
  assert.equal(body.field, null);
  const chunks = Array.from({ length: 20 }, () => new TextEncoder().encode("x".repeat(4096)));
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  assert.equal((await call(post(stream))).res.status, 413, "no Content-Length: still cut off at the limit");
});

Deno.test("send-alert-notification: 503 when the database is unreachable, without the connection string", async () => {
  try {
    const { res, body } = await call(post(JSON.stringify(good)), {
      SUPABASE_SERVICE_ROLE_KEY: KEY,
      SUPABASE_DB_URL: "postgresql://postgres:pa55w0rd-secret@127.0.0.1:1/postgres",
    });
    assert.equal(res.status, 503);
    assert.match(body.error, /database unavailable/);
    assert.ok(!JSON.stringify(body).includes("pa55w0rd"));
    assert.ok(!JSON.stringify(body).includes("127.0.0.1:1"));
  } finally {
    await closeDb();
  }
  const unset = await call(post(JSON.stringify(good)));
  assert.equal(unset.res.status, 503);
  await closeDb();
});
