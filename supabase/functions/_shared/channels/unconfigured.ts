// A channel without its secrets cannot succeed on a later attempt either, so it is a permanent outcome naming the
// variables to set: the dead notification then tells the operator exactly what is missing.
import type { DeliveryOutcome } from "../types.ts";

export function notConfigured(channel: string, missing: string[]): DeliveryOutcome {
  return { outcome: "permanent", error: `channel ${channel} is not configured: set ${missing.join(", ")}` };
}
