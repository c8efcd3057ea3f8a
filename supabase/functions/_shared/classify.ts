// One place decides whether a failed send is worth retrying, so the outbox's retry/dead bookkeeping is the same for
// every provider: transient failures (429, 408, 5xx, network, timeout) come back later, and everything else stops at
// once, because retrying a disabled Slack webhook or an invalid phone number only delays the dead-letter alert.
import { truncate } from "./escape.ts";
import { redact } from "./redact.ts";
import type { DeliveryOutcome } from "./types.ts";

export type Provider = "resend" | "slack" | "twilio";

/** Retry-After is stored as an integer column; a day is longer than any provider asks for. */
const MAX_RETRY_AFTER_SECONDS = 86_400;
const MAX_ERROR_LENGTH = 500;

/** Resend says these 429s must not be retried: the quota will not come back within the retry window. */
const RESEND_QUOTA_ERRORS = new Set(["daily_quota_exceeded", "monthly_quota_exceeded"]);
/** Resend: the same idempotency key is still being processed; asking again later returns the original answer. */
const RESEND_RETRYABLE_CONFLICTS = new Set(["concurrent_idempotent_requests"]);

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  let seconds: number;
  if (/^\d+$/.test(raw)) {
    seconds = Number(raw);
  } else {
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.ceil((at - now) / 1000);
  }
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
}

interface ProviderError {
  code?: string;
  message?: string;
  id?: string;
}

/** The provider's own error code and message (Resend `{name, message}`, Twilio `{code, message}`, Slack plain text). */
function readBody(provider: Provider, body: string): ProviderError {
  if (provider === "slack") return { code: body.trim().split(/\s/)[0] || undefined };
  try {
    const json = JSON.parse(body);
    if (typeof json !== "object" || json === null) return {};
    const code = provider === "resend" ? json.name : json.code;
    const id = provider === "resend" ? json.id : json.sid;
    return {
      code: code === undefined || code === null ? undefined : String(code),
      message: typeof json.message === "string" ? json.message : undefined,
      id: typeof id === "string" ? id : undefined,
    };
  } catch {
    return { message: body.trim() || undefined };
  }
}

function describe(provider: Provider, status: number, err: ProviderError, secrets: readonly (string | undefined)[]) {
  const parts = [`${provider} ${status}`];
  if (err.code) parts.push(err.code);
  const head = parts.join(" ");
  const text = err.message ? `${head}: ${err.message}` : head;
  return truncate(redact(text.replace(/\s+/g, " "), secrets), MAX_ERROR_LENGTH);
}

export interface ProviderResponse {
  status: number;
  headers: Headers;
  body: string;
}

export function classifyResponse(
  provider: Provider,
  res: ProviderResponse,
  secrets: readonly (string | undefined)[] = [],
  now: number = Date.now(),
): DeliveryOutcome {
  const { status } = res;
  const err = readBody(provider, res.body);
  if (status >= 200 && status < 300) {
    // Slack answers 200 "ok"; any other 200 body is not a confirmed post, and retrying could post it twice.
    if (provider === "slack" && res.body.trim() !== "ok") {
      return {
        outcome: "permanent",
        statusCode: status,
        error: describe(provider, status, { code: "unexpected_response", message: res.body.trim() }, secrets),
      };
    }
    return { outcome: "sent", statusCode: status, ...(err.id ? { providerId: err.id } : {}) };
  }
  const error = describe(provider, status, err, secrets);
  const retryAfterSeconds = parseRetryAfter(res.headers.get("retry-after"), now);
  const retry = (): DeliveryOutcome => ({
    outcome: "retry",
    statusCode: status,
    error,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
  if (status === 429) {
    if (provider === "resend" && err.code && RESEND_QUOTA_ERRORS.has(err.code)) {
      return { outcome: "permanent", statusCode: status, error };
    }
    return retry();
  }
  if (status === 408 || status >= 500) return retry();
  if (status === 409 && provider === "resend" && err.code && RESEND_RETRYABLE_CONFLICTS.has(err.code)) return retry();
  return { outcome: "permanent", statusCode: status, error };
}

/** fetch() threw: a timeout or a network failure, both worth another try. The message may hold the URL: redacted. */
export function classifyError(
  error: unknown,
  provider: Provider,
  timeoutMs: number,
  secrets: readonly (string | undefined)[] = [],
): DeliveryOutcome {
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return { outcome: "retry", error: `${provider} timeout after ${timeoutMs} ms` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    outcome: "retry",
    error: truncate(redact(`${provider} network error: ${message}`, secrets), MAX_ERROR_LENGTH),
  };
}
