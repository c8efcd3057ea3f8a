// A database cannot report its own death. While check-alert-triggers can reach the database, the monitor's own
// failures are an ordinary alert (monitor_down, raised by monitoring.watch and delivered through the outbox). When
// it cannot reach the database, or has no URL for it, this alerts straight through the providers instead, at most
// once per WATCHDOG_INTERVAL_SECONDS for as long as that lasts, and says it is over when the database answers again.
// A module-level timestamp covers this instance (Slack and SMS have no deduplication of their own); the Resend
// Idempotency-Key "watchdog-<interval number>" also covers other instances and cold starts, so the email body is a
// function of the interval and the reason only (Resend rejects a reused key with another body: 409).
import { envInt } from "./env.ts";
import { configuredChannels, sendNotification } from "./send.ts";
import type { AlertPayload, Channel, NotificationEvent } from "./types.ts";

export type WatchdogReason = "unreachable" | "unconfigured";

const MESSAGES: Record<WatchdogReason, string> = {
  unreachable: "The check-alert-triggers function cannot reach the monitoring database. Rules are not being " +
    "evaluated and no alert notifications are being delivered until it is reachable again.",
  unconfigured: "The check-alert-triggers function has no database URL (SUPABASE_DB_URL), so rules are not being " +
    "evaluated and no alert notifications are being delivered.",
};

export interface WatchdogReport {
  reason: WatchdogReason | "recovered";
  sent: Channel[];
  failed: { channel: Channel; error?: string }[];
  /** True when a watchdog alert already went out within the interval, so nothing was sent now. */
  suppressed: boolean;
}

let lastSentAt: number | undefined;
let downSince: number | undefined;

/** For tests: forget the last watchdog alert. */
export function resetWatchdog(): void {
  lastSentAt = undefined;
  downSince = undefined;
}

async function sendEverywhere(key: string, event: NotificationEvent, payload: AlertPayload, report: WatchdogReport) {
  for (const channel of configuredChannels()) {
    const outcome = await sendNotification({ id: key, channel, event, attempts: 0, idempotency_key: key, payload });
    if (outcome.outcome === "sent") report.sent.push(channel);
    else report.failed.push({ channel, ...(outcome.error ? { error: outcome.error } : {}) });
  }
}

export async function raiseWatchdog(reason: WatchdogReason, now: number = Date.now()): Promise<WatchdogReport> {
  const intervalSeconds = envInt("WATCHDOG_INTERVAL_SECONDS", 3600);
  if (lastSentAt !== undefined && now - lastSentAt < intervalSeconds * 1000) {
    return { reason, sent: [], failed: [], suppressed: true };
  }
  const key = `watchdog-${Math.floor(now / 1000 / intervalSeconds)}`;
  const report: WatchdogReport = { reason, sent: [], failed: [], suppressed: false };
  await sendEverywhere(key, "firing", {
    title: "supalert monitoring is down",
    message: MESSAGES[reason],
    severity: "critical",
    status: "firing",
    event: "firing",
    rule: "watchdog",
    labels: { source: "check-alert-triggers", reason },
  }, report);
  // Only a delivered alert starts the quiet interval; if every channel failed, the next run tries again.
  if (report.sent.length > 0) {
    lastSentAt = now;
    downSince ??= now;
  }
  return report;
}

/** After a watchdog alert went out: the recovery message, once; otherwise nothing (undefined). */
export async function recoverWatchdog(now: number = Date.now()): Promise<WatchdogReport | undefined> {
  if (downSince === undefined) return undefined;
  const minutes = Math.max(1, Math.round((now - downSince) / 60_000));
  const report: WatchdogReport = { reason: "recovered", sent: [], failed: [], suppressed: false };
  await sendEverywhere(`watchdog-recovered-${downSince}`, "resolved", {
    title: "supalert monitoring is back",
    message: `check-alert-triggers reaches the monitoring database again after about ${minutes} min; ` +
      "rules are evaluated and notifications delivered as before.",
    severity: "critical",
    status: "resolved",
    event: "resolved",
    rule: "watchdog",
    labels: { source: "check-alert-triggers" },
  }, report);
  if (report.sent.length > 0 || report.failed.length === 0) {
    downSince = undefined;
    lastSentAt = undefined;
  }
  return report;
}
