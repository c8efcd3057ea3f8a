// What pg_cron calls through pg_net (supalert-dispatch), or any scheduler or uptime monitor: watch the monitor
// itself (monitoring.watch raises, repeats or resolves the monitor_down alert from monitoring.liveness), evaluate
// the rules only where pg_cron never will (one scheduler for evaluation: a dead pg_cron must leave the heartbeat
// stale, not be covered up), drain the outbox within a time budget, and, after a healthy cycle only, ping the
// optional dead-man's switch ALERT_HEARTBEAT_URL. When the database cannot be reached the watchdog alerts straight
// through the providers (see _shared/watchdog.ts).
import { authorize } from "../_shared/auth.ts";
import {
  DatabaseConfigError,
  describeDbError,
  dispatcherEvaluates,
  evaluate,
  type LivenessRow,
  watch,
} from "../_shared/db.ts";
import { drain } from "../_shared/dispatch.ts";
import { envInt } from "../_shared/env.ts";
import { pingHeartbeat } from "../_shared/heartbeat_ping.ts";
import { json, methodNotAllowed, unauthorized } from "../_shared/http.ts";
import { serve } from "../_shared/serve.ts";
import { raiseWatchdog, recoverWatchdog, type WatchdogReport } from "../_shared/watchdog.ts";

const WORKER = `check-alert-triggers:${crypto.randomUUID().slice(0, 8)}`;

export async function handler(req: Request): Promise<Response> {
  if (req.method !== "POST" && req.method !== "GET") return methodNotAllowed(["POST", "GET"]);
  if (!authorize(req)) return unauthorized();
  // The body (pg_net sends one) carries nothing we use.
  await req.body?.cancel().catch(() => {});

  let liveness: LivenessRow[];
  try {
    liveness = await watch();
  } catch (error) {
    const unconfigured = error instanceof DatabaseConfigError;
    console.error(`check-alert-triggers: liveness check failed: ${describeDbError(error)}`);
    const watchdog = await raiseWatchdog(unconfigured ? "unconfigured" : "unreachable");
    return json(503, {
      error: unconfigured ? "database not configured: set SUPABASE_DB_URL" : "database unreachable",
      watchdog,
    });
  }
  // The database answers again: if this instance said it could not be reached, say that it is over.
  const recovered: WatchdogReport | undefined = await recoverWatchdog();
  const problems = liveness.filter((row) => row.status === "fail").map((row) => `${row.component}: ${row.detail}`);

  // A failing evaluation must not hold back delivery: queued resolves and notify() alerts still go out.
  let evaluated: number | null = null;
  let evaluationError: string | undefined;
  try {
    if (await dispatcherEvaluates()) evaluated = await evaluate();
  } catch (error) {
    evaluationError = describeDbError(error);
    console.error(`check-alert-triggers: evaluation failed, dispatching anyway: ${evaluationError}`);
  }

  try {
    const drained = await drain(envInt("DISPATCH_BUDGET_MS", 40_000), envInt("DISPATCH_BATCH_SIZE", 10), WORKER);
    const ping = problems.length === 0 && !evaluationError
      ? await pingHeartbeat()
      : "skipped: the monitor is unhealthy";
    // 200 whenever this run delivered: an uptime monitor reads `healthy`, and pg_net's record of these calls must
    // not turn one failing part into a failing dispatcher.
    return json(evaluationError ? 500 : 200, {
      healthy: problems.length === 0,
      ...(problems.length ? { problems } : {}),
      evaluated,
      ...(evaluationError ? { error: "evaluation failed; due notifications were dispatched" } : {}),
      claimed: drained.claimed,
      sent: drained.sent,
      retried: drained.retried,
      dead: drained.dead,
      deferred: drained.deferred,
      heartbeat_ping: ping,
      ...(recovered ? { watchdog: recovered } : {}),
    });
  } catch (error) {
    console.error(`check-alert-triggers: dispatch failed: ${describeDbError(error)}`);
    return json(503, { error: "database error during dispatch", evaluated, healthy: false });
  }
}

if (import.meta.main) serve(handler);
