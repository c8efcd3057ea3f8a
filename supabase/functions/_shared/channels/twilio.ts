// SMS through Twilio's Messages API: one form-encoded POST per recipient, Basic auth with the account SID and token.
// A Messaging Service SID is preferred over a From number when both are set, as Twilio itself does.
import { env, envList } from "../env.ts";
import { recipientsFor } from "../recipients.ts";
import { renderSms } from "../render.ts";
import type { DeliveryOutcome, Notification } from "../types.ts";
import { postToProvider } from "./post.ts";
import { notConfigured } from "./unconfigured.ts";

export interface SmsConfig {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  sender: { From: string } | { MessagingServiceSid: string };
  recipients: string[];
}

export function smsConfig(): SmsConfig | { missing: string[] } {
  const accountSid = env("TWILIO_ACCOUNT_SID");
  const authToken = env("TWILIO_AUTH_TOKEN");
  const serviceSid = env("TWILIO_MESSAGING_SERVICE_SID");
  const fromNumber = env("TWILIO_FROM_NUMBER");
  const recipients = envList("ALERT_SMS_RECIPIENTS");
  const missing = [
    ...(accountSid ? [] : ["TWILIO_ACCOUNT_SID"]),
    ...(authToken ? [] : ["TWILIO_AUTH_TOKEN"]),
    ...(serviceSid || fromNumber ? [] : ["TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"]),
    ...(recipients.length > 0 ? [] : ["ALERT_SMS_RECIPIENTS"]),
  ];
  if (!accountSid || !authToken || missing.length > 0) return { missing };
  return {
    apiUrl: (env("TWILIO_API_URL") ?? "https://api.twilio.com").replace(/\/+$/, ""),
    accountSid,
    authToken,
    sender: serviceSid ? { MessagingServiceSid: serviceSid } : { From: fromNumber! },
    recipients,
  };
}

export async function sendSms(n: Notification): Promise<DeliveryOutcome[]> {
  const config = smsConfig();
  if ("missing" in config) return [notConfigured("sms", config.missing)];
  const text = renderSms(n.payload, n.event);
  const url = `${config.apiUrl}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  const basic = btoa(`${config.accountSid}:${config.authToken}`);
  const outcomes: DeliveryOutcome[] = [];
  const done = new Set(n.delivered_to ?? []);
  for (const to of recipientsFor(n.payload, config.recipients, "sms")) {
    const recipient = `sms:${to}`;
    if (done.has(recipient)) continue; // reached by an earlier attempt: never text anyone twice
    const form = new URLSearchParams({ To: to, ...config.sender, Body: text });
    outcomes.push(
      await postToProvider(
        "twilio",
        url,
        {
          "Authorization": `Basic ${basic}`,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        form.toString(),
        [config.authToken, basic],
      ).then((o) => ({ ...o, recipient })),
    );
  }
  return outcomes;
}
