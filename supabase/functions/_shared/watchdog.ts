// A database cannot report its own death, so when the dispatcher cannot reach it, or finds the engine's heartbeat
// stale, it alerts straight through the providers, bypassing the outbox that lives in that same database. It fires
// at most once per WATCHDOG_INTERVAL_SECONDS: a module-level timestamp covers this instance (Slack and SMS have no
// deduplication of their own), and the Resend Idempotency-Key "watchdog-<interval number>" also covers other
// instances and cold starts. The email body is therefore a function of the interval and the reason only: Resend
// rejects a reused key with a different body (409 invalid_idempotent_request).
import { envInt } from "./env.ts";
import { configuredChannels, sendNotification } from "./send.ts";
import type { Channel } from "./types.ts";

export type WatchdogReason = "unreachable" | "stale" | "unconfigured";

const MESSAGES: Record<WatchdogReason, string> = {
  unreachable: "The check-alert-triggers function cannot reach the monitoring database. Rules are not being " +
    "evaluated and no alert notifications are being delivered until it is reachable again.",
  stale: "The rule engine has not completed an evaluation recently (its heartbeat is stale): pg_cron may be stopped " +
    "or the evaluation may be failing. Alerts may be missed until it runs again.",
  unconfigured: "The check-alert-triggers function has no database URL (SUPABASE_DB_URL), so rules are not being " +
    "evaluated and no alert notifications are being delivered.",
};

export interface WatchdogReport {
  reason: WatchdogReason;
  sent: Channel[];
  failed: { channel: Channel; error?: string }[];
  /** True when a watchdog alert already went out within the interval, so nothing was sent now. */
  suppressed: boolean;
}

let lastSentAt: number | undefined;

/** For tests: forget the last watchdog alert. */
export function resetWatchdog(): void {
  lastSentAt = undefined;
}

export async function raiseWatchdog(reason: WatchdogReason, now: number = Date.now()): Promise<WatchdogReport> {
  const intervalSeconds = envInt("WATCHDOG_INTERVAL_SECONDS", 3600);
  if (lastSentAt !== undefined && now - lastSentAt < intervalSeconds * 1000) {
    return { reason, sent: [], failed: [], suppressed: true };
  }
  const bucket = Math.floor(now / 1000 / intervalSeconds);
  const key = `watchdog-${bucket}`;
  const payload = {
    title: "supalert monitoring is down",
    message: MESSAGES[reason],
    severity: "critical",
    status: "firing",
    event: "firing",
    rule: "watchdog",
    labels: { source: "check-alert-triggers", reason },
  };
  const report: WatchdogReport = { reason, sent: [], failed: [], suppressed: false };
  for (const channel of configuredChannels()) {
    const outcome = await sendNotification({
      id: key,
      channel,
      event: "firing",
      attempts: 0,
      idempotency_key: key,
      payload,
    });
    if (outcome.outcome === "sent") report.sent.push(channel);
    else report.failed.push({ channel, ...(outcome.error ? { error: outcome.error } : {}) });
  }
  // Only a delivered alert starts the quiet interval; if every channel failed, the next run tries again.
  if (report.sent.length > 0) lastSentAt = now;
  return report;
}
