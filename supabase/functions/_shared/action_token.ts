// Signed links in an alert's message (the alert-action function). A token names one message (its outbox row), its
// alert and one action, under HMAC-SHA256 with ALERT_ACTION_SECRET; it carries no expiry of its own because the
// message's row knows when it was written, which keeps the token, and so the rendered message, the same on every
// retry (Resend refuses a reused Idempotency-Key with a different body: 409 invalid_idempotent_request).

export type Action = "acknowledge" | "silence";
export const ACTIONS: readonly Action[] = ["acknowledge", "silence"];

export interface ActionClaims {
  alertId: string;
  notificationId: string;
  action: Action;
}

export type Verified = { ok: true; claims: ActionClaims } | { ok: false; reason: "malformed" | "tampered" };

const PREFIX = "v1";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - text.length % 4) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function key(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

/** `v1.<claims>.<signature>`, URL-safe. */
export async function signAction(claims: ActionClaims, secret: string): Promise<string> {
  const body = base64url(encoder.encode(JSON.stringify([claims.alertId, claims.notificationId, claims.action])));
  const signed = `${PREFIX}.${body}`;
  const signature = await crypto.subtle.sign("HMAC", await key(secret, "sign"), encoder.encode(signed));
  return `${signed}.${base64url(new Uint8Array(signature))}`;
}

/** The claims of a token this secret signed; the signature is checked (in constant time) before anything is read. */
export async function verifyAction(token: string, secret: string): Promise<Verified> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX || token.length > 1000) return { ok: false, reason: "malformed" };
  const signature = fromBase64url(parts[2]);
  const body = fromBase64url(parts[1]);
  if (!signature || !body) return { ok: false, reason: "malformed" };
  const valid = await crypto.subtle.verify(
    "HMAC",
    await key(secret, "verify"),
    signature,
    encoder.encode(`${parts[0]}.${parts[1]}`),
  );
  if (!valid) return { ok: false, reason: "tampered" };
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) return { ok: false, reason: "malformed" };
  const [alertId, notificationId, action] = decoded;
  if (
    typeof alertId !== "string" || !UUID.test(alertId) || typeof notificationId !== "string" ||
    !UUID.test(notificationId) || !ACTIONS.includes(action)
  ) {
    return { ok: false, reason: "malformed" };
  }
  return { ok: true, claims: { alertId, notificationId, action } };
}
