// GET ?t=<token>: the alert and a confirm form; changes nothing (mail scanners and link previews open links).
// POST t, by[, hours] from that form: acknowledges or silences the alert (monitoring.alert_action), once, recording
// who and through which message. The token (action_token.ts) is the only credential, so this function runs with
// verify_jwt = false; a token that is malformed or not ours gets 403, an expired one 410, a used one 409, and none
// of them changes anything.
import { actionSecret, MIN_SECRET_LENGTH } from "../_shared/action_links.ts";
import { verifyAction } from "../_shared/action_token.ts";
import { alertAction, type AlertActionRow, describeDbError } from "../_shared/db.ts";
import { envInt } from "../_shared/env.ts";
import { readBodyLimited } from "../_shared/http.ts";
import { serve } from "../_shared/serve.ts";
import { confirmPage, page, SILENCE_HOURS } from "./page.ts";

const MAX_FORM_BYTES = 4096;

const REFUSALS: Record<string, [number, string]> = {
  unknown: [404, "This alert message is gone"],
  expired: [410, "This link has expired"],
  used: [409, "This link was already used"],
  resolved: [409, "This alert is already resolved"],
  unsupported: [422, "This alert cannot be silenced from a link"],
};

export async function handler(req: Request): Promise<Response> {
  if (req.method !== "GET" && req.method !== "POST") {
    return page(405, "Method not allowed", "Open the link from the alert message.", { Allow: "GET, POST" });
  }
  const secret = actionSecret();
  if (!secret) {
    return page(503, "Alert links are not set up", `Set ALERT_ACTION_SECRET (${MIN_SECRET_LENGTH}+ characters).`);
  }
  let token: string;
  let form: URLSearchParams | null = null;
  if (req.method === "GET") {
    token = new URL(req.url).searchParams.get("t") ?? "";
  } else {
    const body = await readBodyLimited(req, MAX_FORM_BYTES);
    if (!body.ok) return page(413, "Request too large", "Submit the form from the alert's page.");
    form = new URLSearchParams(body.text);
    token = form.get("t") ?? "";
  }
  const verified = await verifyAction(token, secret);
  if (!verified.ok) {
    return page(403, "This link is not valid", "It was changed or cut short. Open the alert from the dashboard.");
  }
  const { claims } = verified;

  let by: string | null = null;
  let hours: number | null = null;
  if (form) {
    by = (form.get("by") ?? "").trim();
    hours = claims.action === "silence" ? Number(form.get("hours")) : null;
  }
  const ttlHours = envInt("ALERT_ACTION_TTL_HOURS", 24);
  const row = await ask(claims, ttlHours, false, null, null);
  if (row instanceof Response) return row;
  if (!form) return confirmPage(claims.action, row, token);

  if (!by || by.length > 100) {
    return confirmPage(claims.action, row, token, "Enter your name (at most 100 characters).");
  }
  if (hours !== null && !(SILENCE_HOURS as readonly number[]).includes(hours)) {
    return confirmPage(claims.action, row, token, "Choose how long to silence it.");
  }
  const done = await ask(claims, ttlHours, true, by, hours);
  if (done instanceof Response) return done;
  return page(200, done.outcome === "silenced" ? "Silenced" : "Acknowledged", done.detail ?? "Done.");
}

/** monitoring.alert_action's row, or the page that says why nothing changed (a refusal, or no database). */
async function ask(...args: Parameters<typeof alertAction>): Promise<AlertActionRow | Response> {
  let row: AlertActionRow;
  try {
    row = await alertAction(...args);
  } catch (error) {
    console.error(`alert-action: monitoring.alert_action failed: ${describeDbError(error)}`);
    return page(503, "Supalert cannot reach its database", "Nothing was changed. Try again in a minute.");
  }
  const refusal = REFUSALS[row.outcome];
  return refusal ? page(refusal[0], refusal[1], row.detail ?? "Nothing was changed.") : row;
}

if (import.meta.main) serve(handler);
