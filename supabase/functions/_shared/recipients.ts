// Who one notification goes to on one channel. The row's payload may name recipients (an escalation step's, or
// the union a resolve reaches); "*" in that list, or no list, stands for the channel's configured recipients.
// Each channel takes only the entries of its own kind, so one list can hold a phone number and an address.
import type { AlertPayload } from "./types.ts";

const KINDS = {
  email: (r: string) => /^[^@,\s<>]+@[^@,\s<>]+\.[^@,\s<>]+$/.test(r),
  sms: (r: string) => /^\+[1-9][0-9]{6,14}$/.test(r),
} as const;

export function recipientsFor(
  payload: AlertPayload | null | undefined,
  configured: readonly string[],
  kind: keyof typeof KINDS,
): string[] {
  const named = Array.isArray(payload?.recipients) ? payload.recipients.filter((r) => typeof r === "string") : [];
  const list = named.length > 0 ? named : ["*"];
  const out = list.flatMap((r) => (r === "*" ? [...configured] : KINDS[kind](r) ? [r] : []));
  return [...new Set(out)];
}
