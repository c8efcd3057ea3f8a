// Response helpers shared by the functions. No Access-Control-Allow-Origin at all: these endpoints are called by
// pg_net, pg_cron's scheduler or a server holding a secret, never by a browser, and an open CORS policy on a function
// that accepts the service-role key is one of the seed's problems this project fixes.

const JSON_HEADERS = {
  "Content-Type": "application/json; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function methodNotAllowed(allowed: readonly string[]): Response {
  return json(405, { error: `method not allowed: use ${allowed.join(" or ")}` }, { "Allow": allowed.join(", ") });
}

export function unauthorized(): Response {
  return json(401, { error: "unauthorized: send the service-role key or the dispatch secret as a Bearer token" }, {
    "WWW-Authenticate": "Bearer",
  });
}

export type BodyRead = { ok: true; text: string } | { ok: false };

/**
 * The request body as text, or { ok: false } once it exceeds maxBytes. Reading stops at the limit instead of
 * buffering whatever a caller sends, and a lying or missing Content-Length does not matter.
 */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await req.body?.cancel().catch(() => {});
    return { ok: false };
  }
  if (!req.body) return { ok: true, text: "" };
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false };
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return { ok: true, text: new TextDecoder().decode(bytes) };
}
