// Slack incoming webhook: one POST of {text, blocks}. The webhook URL is itself the credential, so it is passed as
// a secret to redact from any error text.
import { env } from "../env.ts";
import { renderSlack } from "../render.ts";
import type { DeliveryOutcome, Notification } from "../types.ts";
import { postToProvider } from "./post.ts";
import { notConfigured } from "./unconfigured.ts";

export function slackConfig(): { webhookUrl: string } | { missing: string[] } {
  const webhookUrl = env("ALERT_SLACK_WEBHOOK_URL");
  if (!webhookUrl || !URL.canParse(webhookUrl)) return { missing: ["ALERT_SLACK_WEBHOOK_URL"] };
  return { webhookUrl };
}

export async function sendSlack(n: Notification): Promise<DeliveryOutcome[]> {
  const config = slackConfig();
  if ("missing" in config) return [notConfigured("slack", config.missing)];
  const body = JSON.stringify(renderSlack(n.payload, n.event));
  const path = new URL(config.webhookUrl).pathname;
  return [
    await postToProvider("slack", config.webhookUrl, { "Content-Type": "application/json" }, body, [
      config.webhookUrl,
      path.length > 8 ? path : undefined,
    ]),
  ];
}
