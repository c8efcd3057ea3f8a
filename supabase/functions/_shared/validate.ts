// Input of send-alert-notification. Strict on purpose: an unknown field is usually a caller's typo (e.g. `sevrity`)
// that would otherwise silently fall back to a default, and the limits keep one request from filling the outbox
// with megabytes of text. Errors name the field so a caller can fix the request without reading this code.
import { SEVERITIES, type Severity } from "./types.ts";

export interface AlertInput {
  title: string;
  message: string;
  severity: Severity;
  category: string;
  metadata: Record<string, unknown>;
  /** Repeats with the same key (else the same title) fold into the open alert of the category. */
  dedupKey?: string;
}

/** {"action": "resolve", "dedup_key": ..., "category"?: ...}: resolve the app's open alert of that key. */
export interface ResolveInput {
  dedupKey: string;
  category: string | null;
}

export type RequestValidation =
  | { ok: true; action: "trigger"; value: AlertInput }
  | { ok: true; action: "resolve"; value: ResolveInput }
  | { ok: false; field: string | null; error: string };

export type Validation =
  | { ok: true; value: AlertInput }
  | { ok: false; field: string | null; error: string };

export const INPUT_LIMITS = {
  title: 500,
  message: 10_000,
  category: 100,
  dedupKey: 255,
  metadataBytes: 16 * 1024,
  metadataDepth: 10,
} as const;

const FIELDS = new Set(["title", "message", "severity", "category", "metadata", "dedup_key"]);
const RESOLVE_FIELDS = new Set(["action", "dedup_key", "category"]);
const ACTIONS = ["trigger", "resolve"] as const;
const CATEGORY_PATTERN = /^[A-Za-z0-9_.:-]+$/;
/** The seed's callers say "medium"; the one severity vocabulary calls it "warning". */
const SEVERITY_ALIASES: Record<string, Severity> = { medium: "warning" };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Whether a JSON value nests deeper than `limit` (a scalar is depth 0, `{}` is 1, `{"a": {}}` is 2). It stops
 * descending past the limit, so a hostile 64 KB body of `[[[[...` cannot exhaust the stack.
 */
function deeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (limit <= 0) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.some((child) => deeperThan(child, limit - 1));
}

type Rejection = { ok: false; field: string | null; error: string };
const fail = (field: string | null, error: string): Rejection => ({ ok: false, field, error });

export function validateAlertInput(body: unknown): Validation {
  if (!isPlainObject(body)) return fail(null, "body must be a JSON object");
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) return fail(key, `unknown field "${key.slice(0, 100)}"`);
  }

  const { title, message, severity, category, metadata, dedup_key } = body;

  if (typeof title !== "string" || title.trim() === "") return fail("title", "title must be a non-empty string");
  if (title.length > INPUT_LIMITS.title) {
    return fail("title", `title must be at most ${INPUT_LIMITS.title} characters`);
  }

  if (message !== undefined && message !== null && typeof message !== "string") {
    return fail("message", "message must be a string");
  }
  const text = typeof message === "string" ? message : "";
  if (text.length > INPUT_LIMITS.message) {
    return fail("message", `message must be at most ${INPUT_LIMITS.message} characters`);
  }

  if (typeof severity !== "string") {
    return fail("severity", `severity must be one of ${SEVERITIES.join(", ")} (or medium)`);
  }
  const lowered = severity.trim().toLowerCase();
  const level = SEVERITY_ALIASES[lowered] ?? SEVERITIES.find((s) => s === lowered);
  if (!level) return fail("severity", `severity must be one of ${SEVERITIES.join(", ")} (or medium)`);

  const badCategory = categoryError(category);
  if (badCategory) return fail("category", badCategory);
  const key = dedupKeyOf(dedup_key);
  if (typeof key === "object") return key;

  let meta: Record<string, unknown> = {};
  if (metadata !== undefined && metadata !== null) {
    if (!isPlainObject(metadata)) return fail("metadata", "metadata must be a JSON object");
    if (deeperThan(metadata, INPUT_LIMITS.metadataDepth)) {
      return fail("metadata", `metadata must be nested at most ${INPUT_LIMITS.metadataDepth} levels deep`);
    }
    if (new TextEncoder().encode(JSON.stringify(metadata)).length > INPUT_LIMITS.metadataBytes) {
      return fail("metadata", `metadata must be at most ${INPUT_LIMITS.metadataBytes} bytes as JSON`);
    }
    meta = metadata;
  }

  const value: AlertInput = {
    title: title.trim(),
    message: text,
    severity: level,
    category: category as string,
    metadata: meta,
  };
  if (key !== undefined) value.dedupKey = key;
  return { ok: true, value };
}

function categoryError(category: unknown): string | null {
  if (typeof category !== "string" || category.length === 0) return "category must be a non-empty string";
  if (category.length > INPUT_LIMITS.category) return `category must be at most ${INPUT_LIMITS.category} characters`;
  if (!CATEGORY_PATTERN.test(category)) return "category may contain only letters, digits and _ . : -";
  return null;
}

/** The trimmed key, undefined when absent, or the rejection. */
function dedupKeyOf(raw: unknown): string | undefined | Rejection {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "string" || raw.trim() === "") return fail("dedup_key", "dedup_key must be a non-empty string");
  if (raw.trim().length > INPUT_LIMITS.dedupKey) {
    return fail("dedup_key", `dedup_key must be at most ${INPUT_LIMITS.dedupKey} characters`);
  }
  return raw.trim();
}

/** A request to send-alert-notification: a trigger (the seed's body, the default) or {"action": "resolve"}. */
export function validateRequest(body: unknown): RequestValidation {
  if (!isPlainObject(body) || body.action === undefined) return withAction(validateAlertInput(body));
  const { action, ...rest } = body;
  if (typeof action !== "string" || !ACTIONS.includes(action as typeof ACTIONS[number])) {
    return fail("action", `action must be one of ${ACTIONS.join(", ")}`);
  }
  if (action === "trigger") return withAction(validateAlertInput(rest));
  for (const name of Object.keys(body)) {
    if (!RESOLVE_FIELDS.has(name)) {
      return fail(name, `unknown field "${name.slice(0, 100)}" for action resolve`);
    }
  }
  const key = dedupKeyOf(body.dedup_key);
  if (key === undefined) return fail("dedup_key", "action resolve needs dedup_key");
  if (typeof key === "object") return key;
  if (body.category !== undefined && body.category !== null) {
    const badCategory = categoryError(body.category);
    if (badCategory) return fail("category", badCategory);
  }
  return { ok: true, action: "resolve", value: { dedupKey: key, category: (body.category as string) ?? null } };
}

function withAction(v: Validation): RequestValidation {
  return v.ok ? { ok: true, action: "trigger", value: v.value } : v;
}
