// Errors end up in monitoring.notifications.last_error, in logs and in HTTP responses, all readable by people who
// must not learn the API key, the auth token, the Slack webhook URL (itself a credential) or the database password.

/** Replace every occurrence of each secret, then anything URL-shaped or a postgres connection string. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out
    .replace(/\b(?:postgres(?:ql)?|https?):\/\/[^\s)'"]+/gi, "[url]")
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, "$1 [redacted]");
}
