// Shapes shared by the database layer, the renderers and the channel senders. The payload mirrors the jsonb that
// monitoring.claim_notifications() returns; every field is optional because it comes from the database and a
// renderer must never crash on a row written by an older or newer version of the SQL side.

export type Channel = "email" | "slack" | "sms";
export const CHANNELS: readonly Channel[] = ["email", "slack", "sms"];

export type Severity = "critical" | "high" | "warning" | "info";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "warning", "info"];

export type NotificationEvent = "firing" | "repeat" | "escalation" | "resolved" | "test" | "digest";

export interface AlertPayload {
  alert_id?: string | null;
  rule?: string | null;
  title?: string | null;
  message?: string | null;
  severity?: string | null;
  status?: string | null;
  event?: string | null;
  labels?: Record<string, unknown> | null;
  occurrences?: number | null;
  created_at?: string | null;
  resolved_at?: string | null;
  runbook_url?: string | null;
  metadata?: Record<string, unknown> | null;
  items?: AlertPayload[] | null;
  /** Who this row goes to (an escalation step's, or everyone a resolve reaches); "*" or none: the channel's own. */
  recipients?: string[] | null;
  /** A group's message (monitoring.form_groups): items lists the first members, count is all of them. */
  group?: { key?: string | null; count?: number | null; dashboard_url?: string | null } | null;
  /** Signed links to the alert-action function (added at send time, never stored): acknowledge, silence. */
  actions?: { acknowledge?: string; silence?: string } | null;
  /** For an escalation: the step (monitoring.escalation_steps) being paged. */
  escalation_step?: number | null;
}

/** One row of the outbox as claimed by monitoring.claim_notifications(). */
export interface Notification {
  id: string;
  channel: string;
  event: string;
  attempts: number;
  idempotency_key: string;
  payload: AlertPayload;
  /** Recipients an earlier attempt already reached ("sms:+1555...", "email:<chunk key>"): not sent again. */
  delivered_to?: string[];
}

export type Outcome = "sent" | "retry" | "permanent";

export interface DeliveryOutcome {
  outcome: Outcome;
  statusCode?: number;
  retryAfterSeconds?: number;
  error?: string;
  providerId?: string;
  /** The recipient one request was for (a multi-request channel tags each of its outcomes). */
  recipient?: string;
  /** After combining: every recipient reached by this attempt. */
  delivered?: string[];
}
