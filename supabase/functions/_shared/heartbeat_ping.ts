// The dead-man's switch outside the database: after a healthy cycle, check-alert-triggers pings
// ALERT_HEARTBEAT_URL (a healthchecks.io check, a Better Stack heartbeat, ...), and that service alerts when the
// pings stop: a paused project, a dead database, dead functions or a dead pg_cron all stop them. Never pinged
// while any part of the monitor fails, so the outside service hears about those too.
import { env, envInt } from "./env.ts";
import { redact } from "./redact.ts";

/** "sent", "not configured", or why the ping failed (the URL, which holds the check's secret, never appears). */
export async function pingHeartbeat(): Promise<string> {
  const url = env("ALERT_HEARTBEAT_URL");
  if (!url) return "not configured";
  try {
    const response = await fetch(url, {
      method: "POST",
      body: "supalert: healthy",
      signal: AbortSignal.timeout(envInt("HEARTBEAT_PING_TIMEOUT_MS", 5000)),
    });
    await response.body?.cancel().catch(() => {});
    return response.ok ? "sent" : `failed: HTTP ${response.status}`;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.error(`check-alert-triggers: heartbeat ping failed: ${redact(message, [url])}`);
    return `failed: ${redact(message, [url]).slice(0, 200)}`;
  }
}
