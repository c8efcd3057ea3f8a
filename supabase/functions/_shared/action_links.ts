// The acknowledge and silence links a firing, repeat or escalation message carries (email and Slack; an SMS has no
// room), when ALERT_ACTION_SECRET is set. The links point at the alert-action function: ALERT_ACTION_URL, else
// SUPABASE_URL + /functions/v1/alert-action (Supabase sets SUPABASE_URL in every function).
import { type Action, ACTIONS, signAction } from "./action_token.ts";
import { env } from "./env.ts";
import type { AlertPayload, Notification } from "./types.ts";

const LINKED_EVENTS = new Set(["firing", "repeat", "escalation"]);
const LINKED_CHANNELS = new Set(["email", "slack"]);
/** Shorter secrets are refused: an HMAC key is only as strong as its length. */
export const MIN_SECRET_LENGTH = 32;

export function actionSecret(): string | undefined {
  const secret = env("ALERT_ACTION_SECRET");
  return secret && secret.length >= MIN_SECRET_LENGTH ? secret : undefined;
}

export function actionBaseUrl(): string | undefined {
  const explicit = env("ALERT_ACTION_URL");
  if (explicit) return explicit;
  const project = env("SUPABASE_URL");
  return project ? `${project.replace(/\/+$/, "")}/functions/v1/alert-action` : undefined;
}

/** The payload to render: with `actions` (one signed URL per action) where this message should carry them. */
export async function withActionLinks(n: Notification): Promise<AlertPayload> {
  const secret = actionSecret();
  const base = actionBaseUrl();
  const alertId = n.payload?.alert_id;
  if (!secret || !base || !alertId || !LINKED_EVENTS.has(n.event) || !LINKED_CHANNELS.has(n.channel)) {
    return n.payload;
  }
  const actions: Partial<Record<Action, string>> = {};
  for (const action of ACTIONS) {
    const url = new URL(base);
    url.searchParams.set("t", await signAction({ alertId, notificationId: n.id, action }, secret));
    actions[action] = url.href;
  }
  return { ...n.payload, actions };
}
