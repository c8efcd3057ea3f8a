import assert from "node:assert/strict";
import { recipientsFor } from "./recipients.ts";

const CONFIGURED = ["+15550000001", "+15550000002"];

Deno.test("no list, or an empty one, is the channel's configured recipients", () => {
  assert.deepEqual(recipientsFor({}, CONFIGURED, "sms"), CONFIGURED);
  assert.deepEqual(recipientsFor({ recipients: [] }, CONFIGURED, "sms"), CONFIGURED);
});

Deno.test("a named list replaces them; '*' adds them back; each channel takes its own kind", () => {
  const payload = { recipients: ["+15550009999", "lead@example.com"] };
  assert.deepEqual(recipientsFor(payload, CONFIGURED, "sms"), ["+15550009999"]);
  assert.deepEqual(recipientsFor(payload, ["all@example.com"], "email"), ["lead@example.com"]);
  assert.deepEqual(recipientsFor({ recipients: ["*", "+15550000001", "+15550009999"] }, CONFIGURED, "sms"), [
    ...CONFIGURED,
    "+15550009999",
  ]);
});

Deno.test("entries of no kind, or not strings, are dropped", () => {
  const payload = { recipients: ["not a number", 7, "+0123"] } as unknown as { recipients: string[] };
  assert.deepEqual(recipientsFor(payload, CONFIGURED, "sms"), []);
});
