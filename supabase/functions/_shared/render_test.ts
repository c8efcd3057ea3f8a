import assert from "node:assert/strict";
import { LIMITS, renderEmail, renderSlack, renderSms, type SlackBlock } from "./render.ts";
import type { AlertPayload } from "./types.ts";

const hostile: AlertPayload = {
  alert_id: "0b1c2d3e-0000-4000-8000-000000000001",
  rule: "error_rate",
  title: `<script>alert(1)</script> & <!channel>`,
  message: `Error rate <b>high</b> & rising <!here> "quoted" 'single'`,
  severity: "critical",
  status: "firing",
  event: "firing",
  labels: { service: "<api>", region: "eu&us" },
  occurrences: 3,
  created_at: "2026-11-29T19:00:00Z",
  runbook_url: "https://runbooks.example.com/error-rate?a=1&b=2",
  metadata: { note: "<img src=x onerror=alert(1)>", nested: { amp: "a&b" } },
};

function sectionTexts(blocks: SlackBlock[]): string[] {
  return blocks.flatMap((b) => {
    if (b.type === "section") return [b.text?.text ?? "", ...(b.fields ?? []).map((f) => f.text)];
    if (b.type === "context") return b.elements.map((e) => e.text);
    return [];
  });
}

Deno.test("email subject: severity and event, no HTML, no line breaks", () => {
  const email = renderEmail(hostile, "firing");
  assert.equal(email.subject, "[CRITICAL] FIRING: <script>alert(1)</script> & <!channel>");
  assert.equal(
    renderEmail({ ...hostile, title: "Disk\r\nBcc: evil@x" }, "resolved").subject,
    "RESOLVED: Disk Bcc: evil@x",
  );
  assert.match(renderEmail(hostile, "repeat").subject, /^\[CRITICAL\] STILL FIRING: /);
  assert.match(renderEmail({ ...hostile, severity: "info" }, "test").subject, /^\[INFO\] TEST: /);
});

Deno.test("email html escapes every alert field, including metadata in <pre>", () => {
  const { html, text } = renderEmail(hostile, "firing");
  assert.ok(!html.includes("<script>"), "title must be escaped");
  assert.ok(!html.includes("<b>high</b>"));
  assert.ok(!html.includes("<img"));
  assert.ok(!html.includes("<api>"));
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;"));
  assert.ok(html.includes("&quot;quoted&quot; &#39;single&#39;"));
  assert.match(html, /<pre[^>]*>\{\n {2}&quot;note&quot;: &quot;&lt;img src=x onerror=alert\(1\)&gt;&quot;,/);
  assert.ok(html.includes('href="https://runbooks.example.com/error-rate?a=1&amp;b=2"'));
  assert.ok(text.includes(`Error rate <b>high</b> & rising`), "the plain part is not HTML and not escaped");
  assert.ok(text.includes(`"note": "<img src=x onerror=alert(1)>"`));
});

Deno.test("email drops non-http runbook links", () => {
  const { html, text } = renderEmail({ ...hostile, runbook_url: "javascript:alert(1)" });
  assert.ok(!html.includes("javascript:"));
  assert.ok(!text.includes("javascript:"));
});

Deno.test("digest email lists every item, escaped", () => {
  const items = [
    { title: "<one>", severity: "info", message: "m1 & more", occurrences: 2, status: "firing" },
    { title: "two", severity: "warning", message: "" },
  ];
  const digest = { event: "digest", title: "Daily digest: 2 notification(s)", message: "2 events <since>", items };
  const { subject, html, text } = renderEmail(digest, "digest");
  assert.equal(subject, "Daily digest: 2 notification(s)");
  assert.ok(html.includes("2 events &lt;since&gt;"));
  assert.match(html, /<ol>[\s\S]*<li><strong>\[INFO\] &lt;one&gt;<\/strong> \(firing, 2x\)[\s\S]*m1 &amp; more/);
  assert.ok(html.includes("<strong>[WARNING] two</strong>"));
  assert.match(text, /2 events <since>\n\n1\. \[INFO\] <one> \(firing, 2x\)\n {3}m1 & more\n2\. \[WARNING\] two/);
  assert.equal(renderEmail({ items }, "digest").subject, "Alert digest: 2 alerts", "a default subject without a title");
  assert.equal(renderSms(digest, "digest"), "Daily digest: 2 notification(s)");
});

Deno.test("slack escapes mrkdwn so alert text cannot ping or link", () => {
  const slack = renderSlack(hostile, "firing");
  const texts = [slack.text, ...sectionTexts(slack.blocks)].join("\n");
  assert.ok(!texts.includes("<!channel>"));
  assert.ok(!texts.includes("<!here>"));
  assert.ok(texts.includes("&lt;!channel&gt;"));
  assert.ok(texts.includes("&amp; rising &lt;!here&gt;"));
  assert.ok(texts.includes(`"quoted"`), "quotes are not entity-encoded in mrkdwn");
  assert.ok(texts.includes("<https://runbooks.example.com/error-rate?a=1&b=2|Runbook>"));
  const header = slack.blocks[0];
  assert.equal(header.type, "header");
  assert.equal(header.type === "header" && header.text.type, "plain_text");
});

Deno.test("slack clamps a 10,000-character message and a long title to Block Kit limits", () => {
  const slack = renderSlack({ ...hostile, title: "T".repeat(500), message: "<&>".repeat(3400) }, "firing");
  const header = slack.blocks[0];
  assert.ok(header.type === "header" && header.text.text.length <= LIMITS.slackHeader);
  assert.equal(header.type === "header" && header.text.text.length, 150);
  for (const text of sectionTexts(slack.blocks)) assert.ok(text.length <= 3000, `section of ${text.length}`);
  const section = slack.blocks[1];
  assert.ok(section.type === "section" && section.text!.text.endsWith("\u2026"));
  assert.ok(slack.blocks.length <= 50);
  assert.ok(slack.text.length <= 3000);
});

Deno.test("slack digest stays within 50 blocks however many items", () => {
  const items = Array.from({ length: 120 }, (_, i) => ({ title: `alert ${i}`, severity: "info", message: "x" }));
  const slack = renderSlack({ items }, "digest");
  assert.equal(slack.blocks.length, 50);
  const last = slack.blocks.at(-1)!;
  assert.ok(last.type === "context" && last.elements[0].text.startsWith("and 72 more"));
});

Deno.test("sms is short: severity, event, title and the start of the message, <= 1600", () => {
  const sms = renderSms({ ...hostile, message: "m".repeat(10_000) }, "firing");
  assert.ok(sms.startsWith("[CRITICAL] FIRING: <script>alert(1)</script> & <!channel> - mmm"));
  assert.ok(sms.length <= 1600);
  assert.ok(sms.length <= LIMITS.smsTitle + LIMITS.smsMessage + 40);
  const huge = renderSms({ title: "T".repeat(10_000), message: "m".repeat(10_000), severity: "high" }, "firing");
  assert.ok(huge.length <= 1600);
  assert.equal(renderSms({ title: "Disk", severity: "high" }, "resolved"), "RESOLVED: Disk");
});

Deno.test("renderers survive a payload with missing or odd fields", () => {
  const odd = { title: null, message: 42, labels: [1, 2], metadata: "x", items: null } as unknown as AlertPayload;
  assert.equal(renderEmail(odd).subject, "[INFO] FIRING: (untitled alert)");
  assert.ok(renderSlack(odd).blocks.length >= 2);
  assert.equal(renderSms(odd), "[INFO] FIRING: (untitled alert) - 42");
});

const group: AlertPayload = {
  rule: "low_credit_balance",
  title: "1000 alerts: Low Credit Balance",
  message: "1000 alerts of rule low_credit_balance fired together; the first 10 are listed.",
  severity: "high",
  event: "firing",
  items: Array.from({ length: 10 }, (_, i) => ({ ...hostile, severity: "high", title: `client <${i}>` })),
  group: { key: "low_credit_balance {}", count: 1000, dashboard_url: "https://dash.example.com/?a=1&b=<2>" },
};

Deno.test("a group lists its first members, counts the rest and links the dashboard, escaped", () => {
  const email = renderEmail(group, "firing");
  assert.equal(email.subject, "[HIGH] FIRING: 1000 alerts: Low Credit Balance");
  assert.equal((email.html.match(/<li><strong>/g) ?? []).length, 10);
  assert.match(email.html, /<li>and 990 more<\/li>/);
  assert.match(email.html, /client &lt;3&gt;/);
  assert.match(email.html, /<a href="https:\/\/dash\.example\.com\/\?a=1&amp;b=%3C2%3E">Dashboard<\/a>/);
  assert.match(email.text, /\.\.\. and 990 more/);
  assert.match(email.text, /Dashboard: https:\/\/dash\.example\.com\//);
  const slack = renderSlack(group, "firing");
  const context = sectionTexts(slack.blocks).at(-1) ?? "";
  assert.match(context, /^and 990 more \| <https:\/\/dash\.example\.com\/\?a=1&b=%3C2%3E\|Dashboard> \| /);
  assert.equal(slack.blocks.filter((b) => b.type === "section").length, 10);
  assert.equal(renderSms(group, "resolved"), "RESOLVED: 1000 alerts: Low Credit Balance");
  assert.doesNotMatch(
    renderEmail({ ...group, group: { count: 3, dashboard_url: "javascript:alert(1)" } }).html,
    /javascript/,
  );
});

Deno.test("the acknowledge and silence links are escaped in email and cannot break out of Slack's link syntax", () => {
  const actions = {
    acknowledge: "https://ref.supabase.co/functions/v1/alert-action?t=v1.abc&x=<b>|y",
    silence: "javascript:alert(1)",
  };
  const email = renderEmail({ ...hostile, actions }, "firing");
  assert.match(
    email.html,
    /<a href="https:\/\/ref\.supabase\.co\/functions\/v1\/alert-action\?t=v1\.abc&amp;x=%3Cb%3E\|y">Acknowledge<\/a>/,
  );
  assert.doesNotMatch(email.html, /javascript|Silence/);
  assert.match(
    email.text,
    /^Acknowledge: https:\/\/ref\.supabase\.co\/functions\/v1\/alert-action\?t=v1\.abc&x=%3Cb%3E\|y$/m,
  );
  const texts = sectionTexts(renderSlack({ ...hostile, actions }, "firing").blocks);
  assert.ok(texts.includes("<https://ref.supabase.co/functions/v1/alert-action?t=v1.abc&x=%3Cb%3E%7Cy|Acknowledge>"));
});
