// What pg_cron (through pg_net) or any scheduler calls every minute: check the engine's heartbeat, evaluate the due
// rules, then drain the notification outbox within a time budget. It is also the watchdog: when the database is
// unreachable or its heartbeat is stale it alerts directly through the providers (see _shared/watchdog.ts).
import { authorize } from "../_shared/auth.ts";
import { DatabaseConfigError, describeDbError, evaluate, heartbeatAge } from "../_shared/db.ts";
import { drain } from "../_shared/dispatch.ts";
import { envInt } from "../_shared/env.ts";
import { json, methodNotAllowed, unauthorized } from "../_shared/http.ts";
import { serve } from "../_shared/serve.ts";
import { raiseWatchdog, type WatchdogReport } from "../_shared/watchdog.ts";

const WORKER = `check-alert-triggers:${crypto.randomUUID().slice(0, 8)}`;

export async function handler(req: Request): Promise<Response> {
  if (req.method !== "POST" && req.method !== "GET") return methodNotAllowed(["POST", "GET"]);
  if (!authorize(req)) return unauthorized();
  // The body (pg_net sends one) carries nothing we use.
  await req.body?.cancel().catch(() => {});

  let age: number | null;
  try {
    age = await heartbeatAge();
  } catch (error) {
    const unconfigured = error instanceof DatabaseConfigError;
    console.error(`check-alert-triggers: heartbeat check failed: ${describeDbError(error)}`);
    const watchdog = await raiseWatchdog(unconfigured ? "unconfigured" : "unreachable");
    return json(503, {
      error: unconfigured ? "database not configured: set SUPABASE_DB_URL" : "database unreachable",
      watchdog,
    });
  }

  // No heartbeat row means the engine has never run (a fresh install): evaluate() below writes the first one.
  let watchdog: WatchdogReport | undefined;
  if (age !== null && age > envInt("HEARTBEAT_STALE_SECONDS", 300)) watchdog = await raiseWatchdog("stale");

  // A failing evaluation must not hold back delivery: queued resolves and notify() alerts still go out.
  let evaluated: number | null = null;
  let evaluationError: string | undefined;
  try {
    evaluated = await evaluate();
  } catch (error) {
    evaluationError = describeDbError(error);
    console.error(`check-alert-triggers: evaluation failed, dispatching anyway: ${evaluationError}`);
  }

  try {
    const drained = await drain(envInt("DISPATCH_BUDGET_MS", 40_000), envInt("DISPATCH_BATCH_SIZE", 10), WORKER);
    return json(evaluationError ? 500 : 200, {
      evaluated,
      ...(evaluationError ? { error: "evaluation failed; due notifications were dispatched" } : {}),
      claimed: drained.claimed,
      sent: drained.sent,
      retried: drained.retried,
      dead: drained.dead,
      deferred: drained.deferred,
      heartbeat_age_seconds: age,
      ...(watchdog ? { watchdog } : {}),
    });
  } catch (error) {
    console.error(`check-alert-triggers: dispatch failed: ${describeDbError(error)}`);
    return json(503, { error: "database error during dispatch", evaluated, ...(watchdog ? { watchdog } : {}) });
  }
}

if (import.meta.main) serve(handler);
