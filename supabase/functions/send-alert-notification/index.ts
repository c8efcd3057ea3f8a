// POST {severity, title, message?, category, metadata?, dedup_key?}: records the alert through monitoring.notify()
// (one outbox row per routed channel in the same transaction; a repeat of the category's open alert with the same
// dedup_key, else the same title, only counts as an occurrence and sends nothing), then delivers this alert's rows
// at once and answers with each channel's result. POST {"action": "resolve", "dedup_key", "category"?} resolves it
// (monitoring.resolve_app_alert). Anything not delivered now stays in the outbox for check-alert-triggers to
// retry, so a provider outage never loses the alert.
import { authorize } from "../_shared/auth.ts";
import { describeDbError, notify, type NotifyResult, resolveAppAlert } from "../_shared/db.ts";
import { drain } from "../_shared/dispatch.ts";
import { envInt } from "../_shared/env.ts";
import { json, methodNotAllowed, readBodyLimited, unauthorized } from "../_shared/http.ts";
import { serve } from "../_shared/serve.ts";
import { type ResolveInput, validateRequest } from "../_shared/validate.ts";

export const MAX_BODY_BYTES = 64 * 1024;
const DRAIN_BUDGET_MS = 20_000;
const WORKER = `send-alert-notification:${crypto.randomUUID().slice(0, 8)}`;

export async function handler(req: Request): Promise<Response> {
  if (req.method !== "POST") return methodNotAllowed(["POST"]);
  // Before the body is read: an unauthenticated caller must not be able to make us buffer or parse anything.
  if (!authorize(req)) return unauthorized();

  const body = await readBodyLimited(req, MAX_BODY_BYTES);
  if (!body.ok) return json(413, { error: `request body is larger than ${MAX_BODY_BYTES} bytes`, field: null });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.text);
  } catch {
    return json(400, { error: "request body is not valid JSON", field: null });
  }
  const input = validateRequest(parsed);
  if (!input.ok) return json(400, { error: input.error, field: input.field });
  if (input.action === "resolve") return await resolve(input.value);
  const { severity, title, message, category, metadata, dedupKey } = input.value;

  let alert: NotifyResult;
  try {
    alert = await notify(severity, title, message, category, metadata, dedupKey ?? null);
  } catch (error) {
    console.error(`send-alert-notification: monitoring.notify failed: ${describeDbError(error)}`);
    return json(503, { error: "database unavailable: the alert was not recorded, try again" });
  }
  if (!alert.alertId || alert.notifications === 0) {
    // A repeat of the open alert, silenced, or no route for this severity: recorded, nothing to deliver.
    return json(200, { alert_id: alert.alertId, occurrences: alert.occurrences, notifications: 0, results: [] });
  }

  try {
    const drained = await drain(DRAIN_BUDGET_MS, envInt("DISPATCH_BATCH_SIZE", 10), WORKER, alert.alertId);
    return json(200, {
      alert_id: alert.alertId,
      occurrences: alert.occurrences,
      notifications: alert.notifications,
      results: drained.results.map((r) => ({
        channel: r.channel,
        status: r.status,
        ...(r.error ? { error: r.error } : {}),
      })),
    });
  } catch (error) {
    console.error(`send-alert-notification: delivery bookkeeping failed: ${describeDbError(error)}`);
    return json(503, {
      error: "database unavailable during delivery: the alert is recorded and its notifications stay queued",
      alert_id: alert.alertId,
    });
  }
}

async function resolve(input: ResolveInput): Promise<Response> {
  let resolved: { alertId: string; notifications: number }[];
  try {
    resolved = await resolveAppAlert(input.dedupKey, input.category);
  } catch (error) {
    console.error(`send-alert-notification: monitoring.resolve_app_alert failed: ${describeDbError(error)}`);
    return json(503, { error: "database unavailable: nothing was resolved, try again" });
  }
  const results = [];
  try {
    for (const r of resolved.filter((r) => r.notifications > 0)) {
      const drained = await drain(DRAIN_BUDGET_MS, envInt("DISPATCH_BATCH_SIZE", 10), WORKER, r.alertId);
      results.push(...drained.results.map((d) => ({ alert_id: r.alertId, channel: d.channel, status: d.status })));
    }
  } catch (error) {
    console.error(`send-alert-notification: delivery bookkeeping failed: ${describeDbError(error)}`);
  }
  // No open alert of that key is not an error: an app may resolve on every success, as it alerts on failures.
  return json(200, { resolved: resolved.map((r) => r.alertId), results });
}

if (import.meta.main) serve(handler);
