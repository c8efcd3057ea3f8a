// Configuration is read at call time (not at import) so a changed secret takes effect without a redeploy of the
// module graph, and so tests can set variables with Deno.env.set before each case.

/** The trimmed value of an environment variable, or undefined when it is unset or blank. */
export function env(name: string): string | undefined {
  const value = Deno.env.get(name)?.trim();
  return value ? value : undefined;
}

/** A positive integer from the environment, or the fallback when the value is missing or not a positive integer. */
export function envInt(name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined || !/^\d+$/.test(raw)) return fallback;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

/** A comma-separated list: items trimmed, empty items dropped. */
export function envList(name: string): string[] {
  return (Deno.env.get(name) ?? "").split(",").map((item) => item.trim()).filter((item) => item.length > 0);
}
