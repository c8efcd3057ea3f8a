// Turns one outbox payload into what each provider accepts. Every value that came from an alert is escaped for its
// medium and clamped to the provider's documented limits here, in one place, because an over-long header or section
// makes Slack reject the whole message (400 invalid_blocks) and an unescaped title would let alert text inject HTML
// or `<!channel>` pings.
import { escapeHtml, escapeMrkdwn, escapeWithin, oneLine, truncate } from "./escape.ts";
import type { AlertPayload } from "./types.ts";

export const LIMITS = {
  subject: 200,
  emailMessage: 10_000,
  emailJson: 20_000,
  emailDigestItems: 200,
  digestItemMessage: 500,
  slackHeader: 150,
  slackSection: 3000,
  slackField: 2000,
  slackContext: 2000,
  slackBlocks: 50,
  slackText: 3000,
  sms: 1600,
  smsTitle: 200,
  smsMessage: 300,
} as const;

const SEVERITY_COLOURS: Record<string, string> = {
  critical: "#dc2626",
  high: "#ea580c",
  warning: "#d97706",
  info: "#2563eb",
};

const EVENT_WORDS: Record<string, string> = {
  firing: "FIRING",
  repeat: "STILL FIRING",
  escalation: "UNACKNOWLEDGED",
  test: "TEST",
};

/** The payload with defaults and plain strings, so the renderers below never meet null or a non-string. */
interface AlertView {
  title: string;
  hasTitle: boolean;
  message: string;
  severity: string;
  event: string;
  status: string;
  rule: string;
  alertId: string;
  occurrences: string;
  createdAt: string;
  resolvedAt: string;
  runbookUrl: string | null;
  labels: [string, string][];
  metadata: Record<string, unknown> | null;
  items: AlertView[];
  /** Signed acknowledge/silence links (payload.actions, http(s) only). */
  actions: [string, string][];
  /** A group's message: how many alerts it stands for (items lists the first) and the dashboard link. */
  group: { count: number; dashboardUrl: string | null } | null;
}

/** A digest or a group: a list of alerts rather than one. */
function isList(v: AlertView): boolean {
  return v.event === "digest" || v.group !== null;
}

/** Alerts the list stands for beyond the ones it shows. */
function moreThan(v: AlertView, shown: number): number {
  return Math.max((v.group?.count ?? v.items.length) - shown, 0);
}

function str(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Only http(s) links are rendered: a `javascript:` runbook URL in an email would be a stored XSS. */
function safeUrl(value: unknown): string | null {
  const raw = str(value).trim();
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

const ACTION_LABELS: [string, string][] = [["acknowledge", "Acknowledge"], ["silence", "Silence"]];

function actionLinks(actions: unknown): [string, string][] {
  if (!isPlainObject(actions)) return [];
  return ACTION_LABELS.flatMap(([key, label]): [string, string][] => {
    const url = safeUrl(actions[key]);
    return url ? [[label, url]] : [];
  });
}

function view(payload: AlertPayload | null | undefined, event?: string): AlertView {
  const p = isPlainObject(payload) ? payload as AlertPayload : {};
  const labels = isPlainObject(p.labels) ? Object.entries(p.labels).map(([k, v]): [string, string] => [k, str(v)]) : [];
  return {
    title: oneLine(str(p.title)) || "(untitled alert)",
    hasTitle: oneLine(str(p.title)) !== "",
    message: str(p.message),
    severity: oneLine(str(p.severity)).toLowerCase() || "info",
    event: oneLine(str(event ?? p.event)).toLowerCase() || "firing",
    status: oneLine(str(p.status)),
    rule: oneLine(str(p.rule)),
    alertId: oneLine(str(p.alert_id)),
    occurrences: str(p.occurrences),
    createdAt: str(p.created_at),
    resolvedAt: str(p.resolved_at),
    runbookUrl: safeUrl(p.runbook_url),
    labels,
    metadata: isPlainObject(p.metadata) && Object.keys(p.metadata).length > 0 ? p.metadata : null,
    items: Array.isArray(p.items) ? p.items.map((item) => view(item, isPlainObject(item) ? str(item.event) : "")) : [],
    actions: actionLinks(p.actions),
    group: isPlainObject(p.group)
      ? {
        count: Number.isSafeInteger(p.group.count)
          ? Number(p.group.count)
          : (Array.isArray(p.items) ? p.items.length : 0),
        dashboardUrl: safeUrl(p.group.dashboard_url),
      }
      : null,
  };
}

function severityTag(v: AlertView): string {
  return `[${truncate(v.severity.toUpperCase(), 20)}]`;
}

/** One plain-text line naming what happened; the subject, Slack header and SMS all start from it. */
function headline(v: AlertView): string {
  if (v.event === "digest") {
    return v.hasTitle ? v.title : `Alert digest: ${v.items.length} ${v.items.length === 1 ? "alert" : "alerts"}`;
  }
  if (v.event === "resolved") return `RESOLVED: ${v.title}`;
  return `${severityTag(v)} ${EVENT_WORDS[v.event] ?? v.event.toUpperCase()}: ${v.title}`;
}

function detailRows(v: AlertView): [string, string][] {
  const rows: [string, string][] = [
    ["Severity", v.severity],
    ["Status", v.status],
    ["Event", v.event],
    ["Rule", v.rule],
    ["Occurrences", v.occurrences],
    ["Started", v.createdAt],
    ["Resolved", v.resolvedAt],
    ["Alert ID", v.alertId],
  ];
  return rows.filter(([, value]) => value !== "");
}

function prettyJson(value: unknown): string {
  return truncate(JSON.stringify(value, null, 2) ?? "", LIMITS.emailJson);
}

// ---------------------------------------------------------------- email

export interface EmailContent {
  subject: string;
  html: string;
  text: string;
}

export function renderEmail(payload: AlertPayload, event?: string): EmailContent {
  const v = view(payload, event);
  const subject = truncate(oneLine(headline(v)), LIMITS.subject);
  const body = isList(v) ? listEmailBody(v) : alertEmailBody(v);
  const colour = SEVERITY_COLOURS[v.severity] ?? "#6b7280";
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;line-height:1.5;color:#111827">
<div style="max-width:640px;margin:0 auto;padding:16px;border-left:4px solid ${colour}">
<h2 style="margin-top:0">${escapeHtml(subject)}</h2>
${body.html}
</div>
<p style="font-size:12px;color:#6b7280;text-align:center">Sent by supalert</p>
</body></html>`;
  return { subject, html, text: `${subject}\n\n${body.text}\n\n-- \nSent by supalert\n` };
}

function alertEmailBody(v: AlertView): { html: string; text: string } {
  const message = truncate(v.message, LIMITS.emailMessage);
  const rows = detailRows(v);
  const html: string[] = [];
  const text: string[] = [];
  if (message) {
    html.push(`<p style="white-space:pre-wrap">${escapeHtml(message)}</p>`);
    text.push(message, "");
  }
  if (v.actions.length > 0) {
    html.push(
      `<p>${v.actions.map(([label, url]) => `<a href="${escapeHtml(url)}">${label}</a>`).join(" &middot; ")}</p>`,
    );
    text.push(...v.actions.map(([label, url]) => `${label}: ${url}`), "");
  }
  html.push(
    `<table style="border-collapse:collapse">${
      rows.map(([k, val]) =>
        `<tr><th style="text-align:left;padding:2px 12px 2px 0">${k}</th><td>${escapeHtml(val)}</td></tr>`
      ).join("")
    }</table>`,
  );
  text.push(...rows.map(([k, val]) => `${k}: ${val}`));
  if (v.labels.length > 0) {
    html.push(
      `<h3>Labels</h3><ul>${
        v.labels.map(([k, val]) => `<li><code>${escapeHtml(k)}</code> = ${escapeHtml(val)}</li>`).join("")
      }</ul>`,
    );
    text.push("", "Labels:", ...v.labels.map(([k, val]) => `  ${k} = ${val}`));
  }
  if (v.runbookUrl) {
    html.push(`<p><a href="${escapeHtml(v.runbookUrl)}">Runbook</a></p>`);
    text.push("", `Runbook: ${v.runbookUrl}`);
  }
  if (v.metadata) {
    const json = prettyJson(v.metadata);
    html.push(
      `<h3>Metadata</h3><pre style="background:#f3f4f6;padding:12px;white-space:pre-wrap">${escapeHtml(json)}</pre>`,
    );
    text.push("", "Metadata:", json);
  }
  return { html: html.join("\n"), text: text.join("\n") };
}

function listEmailBody(v: AlertView): { html: string; text: string } {
  const shown = v.items.slice(0, LIMITS.emailDigestItems);
  const more = moreThan(v, shown.length);
  const line = (item: AlertView) => {
    const facts = [item.status, item.occurrences && `${item.occurrences}x`, item.createdAt].filter(Boolean).join(", ");
    return {
      head: `${severityTag(item)} ${item.title}`,
      facts,
      message: truncate(item.message, LIMITS.digestItemMessage),
    };
  };
  const html = shown.map((item) => {
    const l = line(item);
    return `<li><strong>${escapeHtml(l.head)}</strong>${l.facts ? ` (${escapeHtml(l.facts)})` : ""}${
      l.message ? `<br><span style="white-space:pre-wrap">${escapeHtml(l.message)}</span>` : ""
    }</li>`;
  });
  const text = shown.map((item, i) => {
    const l = line(item);
    return `${i + 1}. ${l.head}${l.facts ? ` (${l.facts})` : ""}${l.message ? `\n   ${l.message}` : ""}`;
  });
  if (more > 0) {
    html.push(`<li>and ${more} more</li>`);
    text.push(`... and ${more} more`);
  }
  const intro = truncate(v.message, LIMITS.digestItemMessage);
  const introHtml = intro ? `<p style="white-space:pre-wrap">${escapeHtml(intro)}</p>\n` : "";
  const introText = intro ? `${intro}\n\n` : "";
  const links: [string, string][] = [];
  if (v.group?.dashboardUrl) links.push(["Dashboard", v.group.dashboardUrl]);
  if (v.runbookUrl) links.push(["Runbook", v.runbookUrl]);
  const linksHtml = links.map(([label, url]) => `\n<p><a href="${escapeHtml(url)}">${label}</a></p>`).join("");
  const linksText = links.map(([label, url]) => `\n\n${label}: ${url}`).join("");
  if (shown.length === 0) {
    return {
      html: `${introHtml}<p>No alerts in this digest.</p>${linksHtml}`,
      text: `${introText}No alerts in this digest.${linksText}`,
    };
  }
  return {
    html: `${introHtml}<ol>\n${html.join("\n")}\n</ol>${linksHtml}`,
    text: `${introText}${text.join("\n")}${linksText}`,
  };
}

// ---------------------------------------------------------------- Slack

interface TextObject {
  type: "plain_text" | "mrkdwn";
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: "header"; text: TextObject }
  | { type: "section"; text?: TextObject; fields?: TextObject[] }
  | { type: "context"; elements: TextObject[] };

export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

const mrkdwn = (text: string, max: number = LIMITS.slackSection): TextObject => ({
  type: "mrkdwn",
  text: escapeWithin(text, max, escapeMrkdwn),
});

/** `<url|label>` with the URL's own `|` and `>` percent-encoded so the link cannot be broken out of. */
function slackLink(url: string, label: string): string {
  return `<${url.replace(/\|/g, "%7C").replace(/>/g, "%3E").replace(/</g, "%3C")}|${label}>`;
}

export function renderSlack(payload: AlertPayload, event?: string): SlackPayload {
  const v = view(payload, event);
  const head = headline(v);
  // plain_text is never parsed for mentions or links, so it needs no escaping, only the 150-character clamp.
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: truncate(head, LIMITS.slackHeader), emoji: true } },
  ];
  if (isList(v)) {
    blocks.push(...listSlackBlocks(v));
  } else {
    blocks.push({ type: "section", text: mrkdwn(v.message.trim() ? v.message : "(no message)") });
    const links = v.actions.filter(([, url]) => url.length <= 1500).map(([label, url]) => slackLink(url, label));
    // Built from slackLink alone (the URLs are ours and encoded there), so it is not passed through escapeMrkdwn.
    if (links.length > 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: links.join("  |  ") } });
    // Times and the id go to the context line; the rest become "*Name*\nvalue" fields (at most 10, 2000 each).
    const inContext = new Set(["Alert ID", "Started", "Resolved"]);
    const field = (name: string, value: string): TextObject => ({
      type: "mrkdwn",
      text: `*${name}*\n${escapeWithin(value, LIMITS.slackField - name.length - 3, escapeMrkdwn)}`,
    });
    const fields = detailRows(v).filter(([k]) => !inContext.has(k)).map(([k, val]) => field(k, val));
    if (v.labels.length > 0) {
      fields.push(field("Labels", v.labels.map(([k, val]) => `${k}=${val}`).join(", ")));
    }
    if (fields.length > 0) blocks.push({ type: "section", fields: fields.slice(0, 10) });
    const context: string[] = [];
    if (v.alertId) context.push(`alert ${escapeWithin(v.alertId, 100, escapeMrkdwn)}`);
    if (v.createdAt) context.push(`started ${escapeWithin(v.createdAt, 100, escapeMrkdwn)}`);
    if (v.resolvedAt) context.push(`resolved ${escapeWithin(v.resolvedAt, 100, escapeMrkdwn)}`);
    if (v.runbookUrl && v.runbookUrl.length <= 1500) context.push(slackLink(v.runbookUrl, "Runbook"));
    context.push("supalert");
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context.join(" | ") }] });
  }
  return {
    text: escapeWithin(head, LIMITS.slackText, escapeMrkdwn),
    blocks: blocks.slice(0, LIMITS.slackBlocks),
  };
}

/** One section per alert, keeping header + sections + the "more" context within Slack's 50 blocks. */
function listSlackBlocks(v: AlertView): SlackBlock[] {
  const room = LIMITS.slackBlocks - 2;
  const shown = v.items.slice(0, room);
  const blocks: SlackBlock[] = shown.map((item) => ({
    type: "section",
    text: mrkdwn(
      `${severityTag(item)} ${item.title}${
        item.message ? `\n${truncate(item.message, LIMITS.digestItemMessage)}` : ""
      }`,
    ),
  }));
  if (shown.length === 0) blocks.push({ type: "section", text: mrkdwn("No alerts in this digest.") });
  const more = moreThan(v, shown.length);
  const context = more > 0 ? [`and ${more} more`] : [];
  const dashboard = v.group?.dashboardUrl;
  if (dashboard && dashboard.length <= 1500) context.push(slackLink(dashboard, "Dashboard"));
  if (v.runbookUrl && v.runbookUrl.length <= 1500) context.push(slackLink(v.runbookUrl, "Runbook"));
  context.push("supalert");
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context.join(" | ") }] });
  return blocks;
}

// ---------------------------------------------------------------- SMS

/** Short on purpose: every 160 GSM-7 (70 UCS-2) characters is another billed segment. */
export function renderSms(payload: AlertPayload, event?: string): string {
  const v = view(payload, event);
  const short = { ...v, title: truncate(v.title, LIMITS.smsTitle, SMS_ELLIPSIS) };
  const message = truncate(oneLine(v.message), LIMITS.smsMessage, SMS_ELLIPSIS);
  const body = isList(v) ? headline(short) : `${headline(short)}${message ? ` - ${message}` : ""}`;
  return truncate(body, LIMITS.sms, SMS_ELLIPSIS);
}

/** "..." stays in GSM-7; the single-character ellipsis would switch a whole SMS to 70-character UCS-2 segments. */
const SMS_ELLIPSIS = "...";
