// Dispatch by channel and fold a channel's several requests (email chunks, one SMS per number) into the single
// outcome the outbox row records, with the recipients this attempt reached (the row keeps them, and a retry skips
// them: nobody gets the same SMS twice). A transient failure of any request makes the row retry for the rest; when
// the only failures left are permanent (an unsubscribed number) and someone was reached, the row counts as sent,
// with the failures in its error.
import { withActionLinks } from "./action_links.ts";
import { emailConfig, sendEmail } from "./channels/resend.ts";
import { sendSlack, slackConfig } from "./channels/slack.ts";
import { sendSms, smsConfig } from "./channels/twilio.ts";
import { truncate } from "./escape.ts";
import { redact } from "./redact.ts";
import type { Channel, DeliveryOutcome, Notification } from "./types.ts";

type Sender = (n: Notification) => Promise<DeliveryOutcome[]>;

const SENDERS: Record<string, Sender> = { email: sendEmail, slack: sendSlack, sms: sendSms };

/** Channels whose secrets are all set: the watchdog sends through these and skips the rest silently. */
export function configuredChannels(): Channel[] {
  const channels: Channel[] = [];
  if (!("missing" in emailConfig())) channels.push("email");
  if (!("missing" in slackConfig())) channels.push("slack");
  if (!("missing" in smsConfig())) channels.push("sms");
  return channels;
}

export function combine(outcomes: readonly DeliveryOutcome[], alreadyDelivered = 0): DeliveryOutcome {
  const delivered = outcomes.filter((o) => o.outcome === "sent" && o.recipient).map((o) => o.recipient!);
  const tagged = delivered.length > 0 ? { delivered } : {};
  if (outcomes.length === 0) {
    return alreadyDelivered > 0
      ? { outcome: "sent", error: "every recipient was reached by an earlier attempt" }
      : { outcome: "permanent", error: "no request was made" };
  }
  if (outcomes.length === 1 && alreadyDelivered === 0) {
    const { recipient: _recipient, ...only } = outcomes[0];
    return { ...only, ...tagged };
  }
  const failed = outcomes.filter((o) => o.outcome !== "sent");
  if (failed.length === 0) {
    const ids = outcomes.map((o) => o.providerId).filter((id): id is string => Boolean(id));
    return {
      outcome: "sent",
      statusCode: outcomes[0].statusCode,
      ...(ids.length ? { providerId: ids.join(",") } : {}),
      ...tagged,
    };
  }
  const retries = failed.filter((o) => o.outcome === "retry");
  const first = retries[0] ?? failed[0];
  const waits = retries.map((o) => o.retryAfterSeconds).filter((s): s is number => s !== undefined);
  const error = truncate(
    `${failed.length} of ${outcomes.length} requests failed: ${[...new Set(failed.map((o) => o.error))].join("; ")}`,
    500,
  );
  const someoneReached = delivered.length + alreadyDelivered > 0;
  return {
    outcome: retries.length > 0 ? "retry" : someoneReached ? "sent" : "permanent",
    ...(first.statusCode !== undefined ? { statusCode: first.statusCode } : {}),
    ...(waits.length > 0 ? { retryAfterSeconds: Math.max(...waits) } : {}),
    error,
    ...tagged,
  };
}

export async function sendNotification(n: Notification): Promise<DeliveryOutcome> {
  const sender = SENDERS[n.channel];
  if (!sender) return { outcome: "permanent", error: `unknown channel ${truncate(String(n.channel), 50)}` };
  try {
    return combine(await sender({ ...n, payload: await withActionLinks(n) }), n.delivered_to?.length ?? 0);
  } catch (error) {
    // A renderer bug fails the same way on every attempt: stop now, the dead row raises its own alert.
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: "permanent", error: truncate(redact(`internal error: ${message}`), 500) };
  }
}
