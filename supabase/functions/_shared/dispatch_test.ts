import assert from "node:assert/strict";
import { drain, type DrainDeps, LEASE } from "./dispatch.ts";
import type { DeliveryOutcome, Notification } from "./types.ts";

function row(id: string, channel = "email"): Notification {
  return { id, channel, event: "firing", attempts: 1, idempotency_key: `k-${id}`, payload: { title: id } };
}

/** An in-memory outbox: claim hands out the queued batches in order, record remembers every outcome. */
function fakeOutbox(
  batches: Notification[][],
  outcomes: Record<string, DeliveryOutcome>,
  statuses: Record<string, string>,
) {
  const claims: unknown[][] = [];
  const recorded: [string, DeliveryOutcome][] = [];
  const released: string[][] = [];
  let clock = 0;
  const deps: DrainDeps = {
    claim: (...args) => {
      claims.push(args);
      return Promise.resolve(batches.shift() ?? []);
    },
    send: (n) => {
      clock += 1000;
      return Promise.resolve(outcomes[n.id] ?? { outcome: "sent" });
    },
    record: (id, o) => {
      recorded.push([id, o]);
      return Promise.resolve(
        statuses[id] ?? (o.outcome === "sent" ? "sent" : o.outcome === "retry" ? "pending" : "dead"),
      );
    },
    release: (_worker, ids) => {
      released.push(ids);
      return Promise.resolve(ids.length);
    },
    now: () => clock,
  };
  return { deps, claims, recorded, released };
}

Deno.test("drain claims until empty and counts recorded statuses", async () => {
  const { deps, claims, recorded } = fakeOutbox(
    [[row("a"), row("b", "slack")], [row("c", "sms")]],
    { b: { outcome: "retry", error: "429" }, c: { outcome: "permanent", error: "bad number" } },
    {},
  );
  const result = await drain(60_000, 2, "worker-1", "alert-1", deps);
  assert.deepEqual(
    { ...result, results: undefined },
    { claimed: 3, sent: 1, retried: 1, dead: 1, deferred: 0, results: undefined },
  );
  assert.deepEqual(result.results, [
    { id: "a", channel: "email", status: "sent", outcome: "sent" },
    { id: "b", channel: "slack", status: "pending", outcome: "retry", error: "429" },
    { id: "c", channel: "sms", status: "dead", outcome: "permanent", error: "bad number" },
  ]);
  assert.deepEqual(claims[0], ["worker-1", 2, LEASE, "alert-1"]);
  assert.equal(claims.length, 3, "the third claim finds nothing and ends the loop");
  assert.deepEqual(recorded.map(([id]) => id), ["a", "b", "c"]);
});

Deno.test("drain: a retry recorded as dead (attempts exhausted) counts as dead", async () => {
  const { deps } = fakeOutbox([[row("a")]], { a: { outcome: "retry" } }, { a: "dead" });
  const result = await drain(60_000, 10, "w", null, deps);
  assert.equal(result.dead, 1);
  assert.equal(result.retried, 0);
});

Deno.test("drain stops at the time budget and hands the rest of the batch back", async () => {
  const { deps, recorded, released } = fakeOutbox([[row("a"), row("b"), row("c"), row("d")], [row("e")]], {}, {});
  const result = await drain(2_500, 10, "w", null, deps); // each send advances the fake clock by 1 s
  assert.equal(result.claimed, 4);
  assert.equal(result.sent, 3);
  assert.equal(result.deferred, 1);
  assert.deepEqual(recorded.map(([id]) => id), ["a", "b", "c"]);
  assert.deepEqual(released, [["d"]]);
});

Deno.test("drain passes database errors up (the handler answers 503)", async () => {
  const deps: DrainDeps = {
    claim: () => Promise.reject(new Error("connection refused")),
    send: () => Promise.resolve({ outcome: "sent" }),
    record: () => Promise.resolve("sent"),
    release: () => Promise.resolve(0),
    now: () => 0,
  };
  await assert.rejects(drain(1000, 1, "w", null, deps), /connection refused/);
});
