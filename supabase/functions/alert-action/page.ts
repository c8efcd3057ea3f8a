// The alert-action function's pages: small, self-contained HTML with every value escaped and a policy that allows
// no script, no frame and no form target but this function, because the page opens from a link in an email.
import type { Action } from "../_shared/action_token.ts";
import { escapeHtml } from "../_shared/escape.ts";

export const SILENCE_HOURS = [1, 4, 24] as const;

const HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  // The token is in the URL: never send it on to another site.
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} - supalert</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;line-height:1.5;color:#111827;max-width:560px;margin:40px auto;padding:0 16px">
<h1 style="font-size:22px">${escapeHtml(title)}</h1>
${body}
<p style="font-size:12px;color:#6b7280">supalert</p>
</body></html>`;
}

/** A page that states an outcome: done, or why nothing changed. */
export function page(status: number, title: string, text: string, headers: Record<string, string> = {}): Response {
  return new Response(layout(title, `<p>${escapeHtml(text)}</p>`), { status, headers: { ...HEADERS, ...headers } });
}

export interface AlertFacts {
  title: string | null;
  severity: string | null;
  status: string | null;
  detail: string | null;
}

/** What a GET shows: the alert and a form that POSTs the same token back. Opening it changes nothing. */
export function confirmPage(action: Action, alert: AlertFacts, token: string, error?: string): Response {
  const facts = `<p><strong>${escapeHtml(alert.title ?? "(untitled alert)")}</strong><br>severity ${
    escapeHtml(alert.severity ?? "?")
  }, ${escapeHtml(alert.status ?? "?")}${alert.detail ? `<br>${escapeHtml(alert.detail)}` : ""}</p>`;
  const duration = action === "silence"
    ? `<p><label>Silence this alert's rule and labels for <select name="hours">${
      SILENCE_HOURS.map((h) =>
        `<option value="${h}"${h === 4 ? " selected" : ""}>${h} hour${h === 1 ? "" : "s"}</option>`
      )
        .join("")
    }</select></label></p>`
    : "";
  const verb = action === "silence" ? "Silence" : "Acknowledge";
  const form = `<form method="post">
<input type="hidden" name="t" value="${escapeHtml(token)}">
${error ? `<p style="color:#dc2626">${escapeHtml(error)}</p>` : ""}
<p><label>Your name <input name="by" maxlength="100" required autocomplete="name"></label></p>
${duration}<p><button type="submit">${verb}</button></p>
</form>`;
  return new Response(layout(`${verb} this alert?`, facts + form), { status: error ? 400 : 200, headers: HEADERS });
}
