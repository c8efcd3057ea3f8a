// Email through Resend. Recipients are split into chunks of 50 (Resend's limit for `to`), and each chunk carries its
// own Idempotency-Key derived from the notification's, so a retry after a partial failure re-sends every chunk but
// Resend delivers each one only once (keys are kept 24 h).
import { env, envList } from "../env.ts";
import { recipientsFor } from "../recipients.ts";
import { renderEmail } from "../render.ts";
import type { DeliveryOutcome, Notification } from "../types.ts";
import { postToProvider } from "./post.ts";
import { notConfigured } from "./unconfigured.ts";

export const RESEND_MAX_RECIPIENTS = 50;
const DEFAULT_FROM_NAME = "supalert";

export interface EmailConfig {
  apiUrl: string;
  apiKey: string;
  from: string;
  recipients: string[];
}

export function emailConfig(): EmailConfig | { missing: string[] } {
  const apiKey = env("RESEND_API_KEY");
  const fromEmail = env("FROM_EMAIL");
  const recipients = envList("ALERT_EMAIL_RECIPIENTS");
  const missing = [
    ...(apiKey ? [] : ["RESEND_API_KEY"]),
    ...(fromEmail ? [] : ["FROM_EMAIL"]),
    ...(recipients.length > 0 ? [] : ["ALERT_EMAIL_RECIPIENTS"]),
  ];
  if (!apiKey || !fromEmail || missing.length > 0) return { missing };
  // The display name is ours to format: characters that would end the name or start an address are dropped.
  const name = (env("FROM_NAME") ?? DEFAULT_FROM_NAME).replace(/[<>"\r\n]/g, "").trim() || DEFAULT_FROM_NAME;
  return {
    apiUrl: (env("RESEND_API_URL") ?? "https://api.resend.com").replace(/\/+$/, ""),
    apiKey,
    from: `${name} <${fromEmail}>`,
    recipients,
  };
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The key for chunk `index` of `count`: the notification's own key when there is only one request. */
export function chunkIdempotencyKey(key: string, index: number, count: number): string {
  return count > 1 ? `${key}:${index}` : key;
}

export async function sendEmail(n: Notification): Promise<DeliveryOutcome[]> {
  const config = emailConfig();
  if ("missing" in config) return [notConfigured("email", config.missing)];
  const content = renderEmail(n.payload, n.event);
  const chunks = chunk(recipientsFor(n.payload, config.recipients, "email"), RESEND_MAX_RECIPIENTS);
  const outcomes: DeliveryOutcome[] = [];
  const done = new Set(n.delivered_to ?? []);
  for (const [index, to] of chunks.entries()) {
    const key = chunkIdempotencyKey(n.idempotency_key, index, chunks.length);
    const recipient = `email:${key}`;
    if (done.has(recipient)) continue;
    const body = JSON.stringify({
      from: config.from,
      to,
      subject: content.subject,
      html: content.html,
      text: content.text,
    });
    outcomes.push(
      await postToProvider(
        "resend",
        `${config.apiUrl}/emails`,
        {
          "Authorization": `Bearer ${config.apiKey}`,
          "Content-Type": "application/json",
          "Idempotency-Key": key,
        },
        body,
        [config.apiKey],
      ).then((o) => ({ ...o, recipient })),
    );
  }
  return outcomes;
}
