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
}

export type Validation =
  | { ok: true; value: AlertInput }
  | { ok: false; field: string | null; error: string };

export const INPUT_LIMITS = {
  title: 500,
  message: 10_000,
  category: 100,
  metadataBytes: 16 * 1024,
  metadataDepth: 10,
} as const;

const FIELDS = new Set(["title", "message", "severity", "category", "metadata"]);
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

const fail = (field: string | null, error: string): Validation => ({ ok: false, field, error });

export function validateAlertInput(body: unknown): Validation {
  if (!isPlainObject(body)) return fail(null, "body must be a JSON object");
  for (const key of Object.keys(body)) {
    if (!FIELDS.has(key)) return fail(key, `unknown field "${key.slice(0, 100)}"`);
  }

  const { title, message, severity, category, metadata } = body;

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

  if (typeof category !== "string" || category.length === 0) {
    return fail("category", "category must be a non-empty string");
  }
  if (category.length > INPUT_LIMITS.category) {
    return fail("category", `category must be at most ${INPUT_LIMITS.category} characters`);
  }
  if (!CATEGORY_PATTERN.test(category)) {
    return fail("category", "category may contain only letters, digits and _ . : -");
  }

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

  return { ok: true, value: { title: title.trim(), message: text, severity: level, category, metadata: meta } };
}
