import assert from "node:assert/strict";
import { validateAlertInput, validateRequest } from "./validate.ts";

const good = { severity: "high", title: "Disk almost full", message: "92% used", category: "db.disk" };

function field(body: unknown): string | null {
  const r = validateAlertInput(body);
  assert.equal(r.ok, false, `expected a rejection for ${JSON.stringify(body)?.slice(0, 100)}`);
  return r.ok ? "" : r.field;
}

Deno.test("validation accepts the seed's body and normalises it", () => {
  const r = validateAlertInput({
    severity: "INFO",
    title: " Test Alert ",
    message: "Testing",
    category: "system_test",
  });
  assert.deepEqual(r, {
    ok: true,
    value: { severity: "info", title: "Test Alert", message: "Testing", category: "system_test", metadata: {} },
  });
  const medium = validateAlertInput({
    ...good,
    severity: "Medium",
    message: undefined,
    metadata: { a: [1, { b: 2 }] },
  });
  assert.ok(medium.ok);
  assert.equal(medium.value.severity, "warning");
  assert.equal(medium.value.message, "");
  assert.deepEqual(medium.value.metadata, { a: [1, { b: 2 }] });
});

Deno.test("validation rejects a body that is not an object", () => {
  for (const body of [null, [], "text", 3, true]) assert.equal(field(body), null);
});

Deno.test("validation names each bad field", () => {
  assert.equal(field({ ...good, title: undefined }), "title");
  assert.equal(field({ ...good, title: "   " }), "title");
  assert.equal(field({ ...good, title: 5 }), "title");
  assert.equal(field({ ...good, title: "t".repeat(501) }), "title");
  assert.equal(field({ ...good, message: 1 }), "message");
  assert.equal(field({ ...good, message: "m".repeat(10_001) }), "message");
  assert.equal(field({ ...good, severity: "urgent" }), "severity");
  assert.equal(field({ ...good, severity: undefined }), "severity");
  assert.equal(field({ ...good, category: "" }), "category");
  assert.equal(field({ ...good, category: undefined }), "category");
  assert.equal(field({ ...good, category: "has space" }), "category");
  assert.equal(field({ ...good, category: "<script>" }), "category");
  assert.equal(field({ ...good, category: "c".repeat(101) }), "category");
  assert.equal(field({ ...good, metadata: [1] }), "metadata");
  assert.equal(field({ ...good, metadata: "x" }), "metadata");
  assert.equal(field({ ...good, metadata: { big: "x".repeat(16 * 1024) } }), "metadata");
  assert.equal(field({ ...good, sevrity: "high" }), "sevrity");
});

Deno.test("validation limits metadata depth to 10", () => {
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 1; i < 10; i++) {
    const next = {};
    deep.n = next;
    deep = next;
  }
  assert.ok(validateAlertInput({ ...good, metadata: root }).ok, "10 levels are fine");
  deep.n = {};
  assert.equal(field({ ...good, metadata: root }), "metadata");
  const hostile = JSON.parse("[".repeat(20_000) + "]".repeat(20_000));
  assert.equal(field({ ...good, metadata: { hostile } }), "metadata");
});

Deno.test("validation accepts the exact limits", () => {
  assert.ok(
    validateAlertInput({ ...good, title: "t".repeat(500), message: "m".repeat(10_000), category: "c".repeat(100) }).ok,
  );
  assert.ok(validateAlertInput({ ...good, metadata: null, message: null }).ok);
});

Deno.test("a request is a trigger by default, with an optional dedup_key", () => {
  const plain = validateRequest(good);
  assert.ok(plain.ok && plain.action === "trigger");
  assert.equal(plain.value.dedupKey, undefined);
  const keyed = validateRequest({ ...good, action: "trigger", dedup_key: "  payments:stripe  " });
  assert.ok(keyed.ok && keyed.action === "trigger");
  assert.equal(keyed.value.dedupKey, "payments:stripe");
  for (const bad of ["", "   ", 5, "k".repeat(256)]) {
    const r = validateRequest({ ...good, dedup_key: bad });
    assert.ok(!r.ok && r.field === "dedup_key", JSON.stringify(bad));
  }
});

Deno.test("a resolve needs only its dedup_key, and refuses what it does not use", () => {
  assert.deepEqual(validateRequest({ action: "resolve", dedup_key: "payments:stripe" }), {
    ok: true,
    action: "resolve",
    value: { dedupKey: "payments:stripe", category: null },
  });
  const scoped = validateRequest({ action: "resolve", dedup_key: "k", category: "payments" });
  assert.ok(scoped.ok && scoped.action === "resolve" && scoped.value.category === "payments");
  const cases: [unknown, string][] = [
    [{ action: "resolve" }, "dedup_key"],
    [{ action: "resolve", dedup_key: "k", title: "t" }, "title"],
    [{ action: "resolve", dedup_key: "k", category: "bad category!" }, "category"],
    [{ action: "acknowledge", dedup_key: "k" }, "action"],
    [{ ...good, action: 1 }, "action"],
  ];
  for (const [body, name] of cases) {
    const r = validateRequest(body);
    assert.ok(!r.ok && r.field === name, JSON.stringify(body));
  }
});
