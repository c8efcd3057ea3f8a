// Alert text comes from rule labels, error messages and API callers, so it is untrusted in every channel. HTML gets
// full entity escaping; Slack mrkdwn gets only the three characters Slack documents (escaping more, e.g. quotes,
// would show literal "&quot;" in the message); lengths are measured in UTF-16 code units, which is never less than
// what Slack, Resend or Twilio count, so a result that fits here fits there.

export const ELLIPSIS = "\u2026";

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch]);
}

/** Slack's own rule: only & < > are control characters in mrkdwn (this is what defuses `<!channel>` and links). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (ch) => HTML_ENTITIES[ch]);
}

/** At most `max` code units; when cut, it ends with `ellipsis`. Never splits a surrogate pair. */
export function truncate(text: string, max: number, ellipsis: string = ELLIPSIS): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  if (max <= ellipsis.length) return ellipsis.slice(0, max);
  let end = max - ellipsis.length;
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end) + ellipsis;
}

/**
 * Escape then fit into `max`: cutting after escaping could leave half an entity ("&am"), and cutting before could
 * overflow once entities expand, so this cuts the raw text at the longest prefix whose escaped form still fits.
 */
export function escapeWithin(text: string, max: number, escape: (s: string) => string): string {
  const whole = escape(text);
  if (whole.length <= max) return whole;
  if (max <= 0) return "";
  const budget = max - ELLIPSIS.length;
  let out = "";
  for (const ch of text) { // iterates by code point
    const piece = escape(ch);
    if (out.length + piece.length > budget) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** Strip control characters (CR/LF in an email subject would be header injection) and collapse whitespace. */
export function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
