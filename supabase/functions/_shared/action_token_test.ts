import assert from "node:assert/strict";
import { signAction, verifyAction } from "./action_token.ts";

const SECRET = "a-secret-of-at-least-thirty-two-characters";
const claims = {
  alertId: "0b1c2d3e-0000-4000-8000-000000000001",
  notificationId: "0b1c2d3e-0000-4000-8000-000000000002",
  action: "acknowledge" as const,
};

Deno.test("a signed token verifies to its claims and is the same every time (retries render the same message)", async () => {
  const token = await signAction(claims, SECRET);
  assert.match(token, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.equal(await signAction(claims, SECRET), token);
  assert.deepEqual(await verifyAction(token, SECRET), { ok: true, claims });
});

Deno.test("an edited, re-signed or cut token is refused", async () => {
  const token = await signAction(claims, SECRET);
  const [prefix, body, signature] = token.split(".");
  const silence = (await signAction({ ...claims, action: "silence" }, SECRET)).split(".")[1];
  assert.deepEqual(await verifyAction(`${prefix}.${silence}.${signature}`, SECRET), { ok: false, reason: "tampered" });
  const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1);
  assert.deepEqual(await verifyAction(`${prefix}.${body}.${flipped}`, SECRET), { ok: false, reason: "tampered" });
  assert.deepEqual(await verifyAction(token, `${SECRET}-other`), { ok: false, reason: "tampered" });
  for (const bad of ["", "v1.", `${prefix}.${body}`, `v2.${body}.${signature}`, `${token}.x`, "v1.%%%.***"]) {
    assert.deepEqual(await verifyAction(bad, SECRET), { ok: false, reason: "malformed" }, bad);
  }
});

Deno.test("a token signed over claims that are not an alert, a message and a known action is refused", async () => {
  const odd = await signAction({ ...claims, action: "delete" as unknown as "silence" }, SECRET);
  assert.deepEqual(await verifyAction(odd, SECRET), { ok: false, reason: "malformed" });
  const notUuid = await signAction({ ...claims, alertId: "1 or 1=1" }, SECRET);
  assert.deepEqual(await verifyAction(notUuid, SECRET), { ok: false, reason: "malformed" });
});
