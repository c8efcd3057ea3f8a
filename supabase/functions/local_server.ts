// The functions behind one local port, routed like Supabase does (the gateway strips /functions/v1, the runtime
// routes on the first path segment), so a caller built for https://<ref>.supabase.co/functions/v1/<name> works
// unchanged against http://127.0.0.1:PORT (with or without /functions/v1). Local runs and end-to-end tests only:
// it is not a function itself (the CLI deploys only <slug>/index.ts).
import { handler as alertAction } from "./alert-action/index.ts";
import { handler as checkAlertTriggers } from "./check-alert-triggers/index.ts";
import { json } from "./_shared/http.ts";
import { serve } from "./_shared/serve.ts";
import { handler as sendAlertNotification } from "./send-alert-notification/index.ts";

const FUNCTIONS: Record<string, (req: Request) => Promise<Response>> = {
  "send-alert-notification": sendAlertNotification,
  "check-alert-triggers": checkAlertTriggers,
  "alert-action": alertAction,
};

export function route(req: Request): Promise<Response> {
  const path = new URL(req.url).pathname.replace(/^\/functions\/v1(?=\/|$)/, "");
  const name = path.split("/")[1] ?? "";
  const fn = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (fn) return fn(req);
  return Promise.resolve(
    json(404, { error: `no function named "${name.slice(0, 100)}"`, functions: Object.keys(FUNCTIONS) }),
  );
}

if (import.meta.main) serve(route);
