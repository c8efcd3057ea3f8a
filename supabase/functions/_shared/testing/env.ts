// Tests set configuration through the real environment (the code reads Deno.env at call time). Every variable the
// functions read is cleared first, so a developer's own RESEND_API_KEY or webhook can never leak into a test run.

export const ALL_VARS = [
  "SUPABASE_DB_URL",
  "SUPABASE_SERVICE_ROLE_KEY",
  "ALERT_DISPATCH_SECRET",
  "RESEND_API_KEY",
  "RESEND_API_URL",
  "FROM_EMAIL",
  "FROM_NAME",
  "ALERT_EMAIL_RECIPIENTS",
  "ALERT_SLACK_WEBHOOK_URL",
  "TWILIO_API_URL",
  "TWILIO_ACCOUNT_SID",
  "TWILIO_AUTH_TOKEN",
  "TWILIO_FROM_NUMBER",
  "TWILIO_MESSAGING_SERVICE_SID",
  "ALERT_SMS_RECIPIENTS",
  "PROVIDER_TIMEOUT_MS",
  "DISPATCH_BUDGET_MS",
  "DISPATCH_BATCH_SIZE",
  "ALERT_HEARTBEAT_URL",
  "HEARTBEAT_PING_TIMEOUT_MS",
  "WATCHDOG_INTERVAL_SECONDS",
  "SUPABASE_URL",
  "ALERT_ACTION_SECRET",
  "ALERT_ACTION_URL",
  "ALERT_ACTION_TTL_HOURS",
];

/** Run fn with exactly these variables set (all others of ALL_VARS unset), then restore the previous values. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => T | Promise<T>): Promise<T> {
  const saved = new Map(ALL_VARS.map((name) => [name, Deno.env.get(name)]));
  for (const name of ALL_VARS) Deno.env.delete(name);
  for (const [name, value] of Object.entries(vars)) Deno.env.set(name, value);
  try {
    return await fn();
  } finally {
    for (const name of new Set([...ALL_VARS, ...Object.keys(vars)])) {
      const value = saved.get(name);
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
}
