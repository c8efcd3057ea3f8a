// Drains the outbox: claim a batch (the SQL side locks with SKIP LOCKED and leases the rows), send each, record each
// outcome, until nothing is due or the time budget is spent. Sending is sequential: a batch is small, providers
// rate-limit (Slack ~1/s, Resend 2/s per team), and sequential sends keep a retry storm from hammering them.
// Rows claimed but not sent when the budget runs out are released at once (pending again, attempt not counted).
import { claimNotifications, recordDelivery, releaseNotifications } from "./db.ts";
import { sendNotification } from "./send.ts";
import type { DeliveryOutcome, Notification } from "./types.ts";

export const LEASE = "2 minutes";

export interface DeliveryResult {
  id: string;
  channel: string;
  status: string;
  outcome: DeliveryOutcome["outcome"];
  error?: string;
}

export interface DrainResult {
  claimed: number;
  sent: number;
  retried: number;
  dead: number;
  /** Claimed but handed back unsent because the time budget ran out. */
  deferred: number;
  results: DeliveryResult[];
}

export interface DrainDeps {
  claim: (worker: string, limit: number, lease: string, alertId: string | null) => Promise<Notification[]>;
  record: (id: string, outcome: DeliveryOutcome, worker: string) => Promise<string>;
  release: (worker: string, ids: string[]) => Promise<number>;
  send: (n: Notification) => Promise<DeliveryOutcome>;
  now: () => number;
}

const defaultDeps: DrainDeps = {
  claim: claimNotifications,
  record: recordDelivery,
  release: releaseNotifications,
  send: sendNotification,
  now: () => Date.now(),
};

/** How the recorded status counts; when record_delivery answers something unexpected, the outcome decides. */
function tally(result: DrainResult, status: string, outcome: DeliveryOutcome["outcome"]): void {
  const bucket = status === "sent" ? "sent" : status === "pending" ? "retried" : status === "dead" ? "dead" : null;
  if (bucket) result[bucket] += 1;
  else if (outcome === "sent") result.sent += 1;
  else if (outcome === "retry") result.retried += 1;
  else result.dead += 1;
}

export async function drain(
  budgetMs: number,
  batchSize: number,
  worker: string,
  alertId: string | null = null,
  deps: DrainDeps = defaultDeps,
): Promise<DrainResult> {
  const result: DrainResult = { claimed: 0, sent: 0, retried: 0, dead: 0, deferred: 0, results: [] };
  const deadline = deps.now() + budgetMs;
  while (deps.now() < deadline) {
    const batch = await deps.claim(worker, batchSize, LEASE, alertId);
    if (batch.length === 0) break;
    result.claimed += batch.length;
    for (const [index, n] of batch.entries()) {
      if (deps.now() >= deadline) {
        const unsent = batch.slice(index).map((row) => row.id);
        result.deferred += unsent.length;
        await deps.release(worker, unsent);
        break;
      }
      const outcome = await deps.send(n);
      const status = await deps.record(n.id, outcome, worker);
      tally(result, status, outcome.outcome);
      result.results.push({
        id: n.id,
        channel: n.channel,
        status: status || outcome.outcome,
        outcome: outcome.outcome,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
    }
  }
  return result;
}
