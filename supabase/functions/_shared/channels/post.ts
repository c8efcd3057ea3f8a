// The only place that talks to providers: every request gets a deadline (a hung provider must not eat the
// dispatcher's whole time budget), the body is read under the same deadline, and whatever happens becomes a
// DeliveryOutcome instead of an exception.
import { classifyError, classifyResponse, type Provider } from "../classify.ts";
import { envInt } from "../env.ts";
import type { DeliveryOutcome } from "../types.ts";

export const DEFAULT_TIMEOUT_MS = 10_000;

export function providerTimeoutMs(): number {
  return envInt("PROVIDER_TIMEOUT_MS", DEFAULT_TIMEOUT_MS);
}

export async function postToProvider(
  provider: Provider,
  url: string,
  headers: Record<string, string>,
  body: string,
  secrets: readonly (string | undefined)[],
): Promise<DeliveryOutcome> {
  const timeoutMs = providerTimeoutMs();
  try {
    const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return classifyResponse(provider, { status: res.status, headers: res.headers, body: text }, secrets);
  } catch (error) {
    return classifyError(error, provider, timeoutMs, secrets);
  }
}
