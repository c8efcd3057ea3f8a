// The functions' only database access: a small postgres.js pool on SUPABASE_DB_URL calling the monitoring.* SQL
// functions, which hold all the logic (claiming with SKIP LOCKED, backoff, dead-lettering). prepare: false because
// Supabase's transaction pooler (port 6543) cannot keep named prepared statements across transactions; two
// connections because one invocation runs its queries one after another.
import postgres from "postgres";
import { env } from "./env.ts";
import { redact } from "./redact.ts";
import type { ActionClaims } from "./action_token.ts";
import type { AlertPayload, DeliveryOutcome, Notification } from "./types.ts";

let client: postgres.Sql | undefined;

export class DatabaseConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseConfigError";
  }
}

/** The shared pool, created on first use so that importing this module never needs the database or its URL. */
export function db(): postgres.Sql {
  if (!client) {
    const url = env("SUPABASE_DB_URL");
    if (!url) throw new DatabaseConfigError("SUPABASE_DB_URL is not set");
    client = postgres(url, {
      max: 2,
      prepare: false,
      connect_timeout: 10,
      idle_timeout: 20,
      max_lifetime: 60 * 30,
      connection: { application_name: "supalert-edge" },
      onnotice: () => {},
    });
  }
  return client;
}

/** Close the pool (tests, and a clean shutdown); the next db() call opens a new one. */
export async function closeDb(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.end({ timeout: 1 });
}

/** A database error as it may be logged or returned: SQLSTATE and message, without the URL or its password. */
export function describeDbError(error: unknown): string {
  const url = env("SUPABASE_DB_URL");
  let password: string | undefined;
  try {
    password = url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
  } catch {
    password = undefined;
  }
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const message = error instanceof Error ? error.message : String(error);
  return redact(code ? `${code}: ${message}` : message, [url, password]).slice(0, 500);
}

export async function claimNotifications(
  worker: string,
  limit: number,
  lease: string,
  alertId: string | null = null,
): Promise<Notification[]> {
  const rows = await db()<
    {
      id: string;
      channel: string;
      event: string;
      attempts: number;
      idempotency_key: string;
      payload: AlertPayload;
      delivered_to: string[] | null;
    }[]
  >`
    select id, channel, event, attempts, idempotency_key, payload, delivered_to
    from monitoring.claim_notifications(${worker}::text, ${limit}::integer, ${lease}::interval, ${alertId}::uuid)
  `;
  return rows.map((r) => ({ ...r, payload: r.payload ?? {}, delivered_to: r.delivered_to ?? [] }));
}

/** Returns the row's new status: sent, pending (will be retried) or dead. */
export async function recordDelivery(id: string, o: DeliveryOutcome, worker: string): Promise<string> {
  const [row] = await db()<{ status: string }[]>`
    select monitoring.record_delivery(
      ${id}::uuid, ${o.outcome}::text, ${o.statusCode ?? null}::integer, ${o.error ?? null}::text,
      ${o.retryAfterSeconds ?? null}::integer, ${o.providerId ?? null}::text, p_worker => ${worker}::text,
      p_delivered => ${o.delivered ?? []}::text[]
    ) as status
  `;
  return row?.status ?? "";
}

/** Hands back rows this worker claimed but will not send; returns how many were released. */
export async function releaseNotifications(worker: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await db()<{ released: number }[]>`
    select monitoring.release_notifications(${worker}::text, ${ids}::uuid[]) as released
  `;
  return row?.released ?? 0;
}

export interface NotifyResult {
  alertId: string | null;
  notifications: number;
  /** 1 for a new alert; more when this one folded into the open alert of its key. */
  occurrences: number;
}

export async function notify(
  severity: string,
  title: string,
  message: string,
  category: string,
  metadata: Record<string, unknown>,
  dedupKey: string | null = null,
): Promise<NotifyResult> {
  const [row] = await db()<{ alert_id: string | null; notifications: number | null; occurrences: number | null }[]>`
    select alert_id, notifications, occurrences
    from monitoring.notify(${severity}::text, ${title}::text, ${message}::text, ${category}::text,
                           ${JSON.stringify(metadata)}::text::jsonb, now(), ${dedupKey}::text)
  `;
  return {
    alertId: row?.alert_id ?? null,
    notifications: Number(row?.notifications ?? 0),
    occurrences: Number(row?.occurrences ?? 0),
  };
}

/** Resolves the app's open alerts of a dedup_key (and category); each with its resolve notifications. */
export async function resolveAppAlert(
  dedupKey: string,
  category: string | null,
): Promise<{ alertId: string; notifications: number }[]> {
  const rows = await db()<{ alert_id: string; notifications: number }[]>`
    select alert_id, notifications from monitoring.resolve_app_alert(${dedupKey}::text, ${category}::text)
  `;
  return rows.map((r) => ({ alertId: r.alert_id, notifications: Number(r.notifications) }));
}

/** Runs every due rule; returns how many series were evaluated. */
export async function evaluate(): Promise<number> {
  const [row] = await db()<{ n: string | number }[]>`select count(*) as n from monitoring.evaluate()`;
  return Number(row?.n ?? 0);
}

/** One part of the monitor as monitoring.liveness judges it. */
export interface LivenessRow {
  component: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix: string | null;
}

/** monitoring.watch(): the monitor's liveness, after it raised, repeated or resolved the monitor_down alert. */
export async function watch(): Promise<LivenessRow[]> {
  return await db()<LivenessRow[]>`select component, status, detail, fix from monitoring.watch()`;
}

/** True where pg_cron will never evaluate the rules in this database, so the dispatcher must. */
export async function dispatcherEvaluates(): Promise<boolean> {
  const [row] = await db()<{ yes: boolean }[]>`select monitoring.dispatcher_evaluates() as yes`;
  return row?.yes === true;
}

/** What monitoring.alert_action answered for a signed link: its outcome and the alert as it now stands. */
export interface AlertActionRow {
  outcome: string;
  title: string | null;
  severity: string | null;
  status: string | null;
  detail: string | null;
}

/** Checks (apply false: a GET) or takes (apply true: a POST) the action a verified link names. */
export async function alertAction(
  claims: ActionClaims,
  ttlHours: number,
  apply: boolean,
  by: string | null,
  silenceHours: number | null,
): Promise<AlertActionRow> {
  const [row] = await db()<AlertActionRow[]>`
    select outcome, title, severity, status, detail
    from monitoring.alert_action(${claims.notificationId}::uuid, ${claims.alertId}::uuid, ${claims.action}::text,
                                 make_interval(hours => ${ttlHours}::integer), ${apply}::boolean, ${by}::text,
                                 make_interval(hours => ${silenceHours}::integer))
  `;
  return row;
}
