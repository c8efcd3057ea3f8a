// The functions hold the service-role key's powers (they write alerts and send messages), so every request must
// present the service-role key or the dedicated dispatch secret. Both sides are hashed before timingSafeEqual so the
// comparison takes the same time whatever the token's length, and an unset secret can never match an empty token.
import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "./env.ts";

function digest(value: string): Uint8Array {
  return createHash("sha256").update(value, "utf8").digest();
}

function presentedTokens(req: Request): string[] {
  const tokens: string[] = [];
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "");
  if (bearer) tokens.push(bearer[1]);
  const apikey = req.headers.get("apikey")?.trim();
  if (apikey) tokens.push(apikey);
  return tokens;
}

export function authorize(req: Request): boolean {
  const secrets = [env("SUPABASE_SERVICE_ROLE_KEY"), env("ALERT_DISPATCH_SECRET")].filter((s): s is string =>
    Boolean(s)
  );
  let ok = false;
  for (const token of presentedTokens(req)) {
    const presented = digest(token);
    for (const secret of secrets) {
      // No early exit: every pair is compared so timing does not reveal which secret (if any) matched.
      if (timingSafeEqual(presented, digest(secret))) ok = true;
    }
  }
  return ok;
}
