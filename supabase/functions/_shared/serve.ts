// Serving is separate from the handlers so tests import a handler without opening a port. On Supabase the runtime
// owns the listener and PORT is unset; locally and in end-to-end tests PORT (and optionally HOST) choose it, and
// PORT=0 picks a free port, printed on stdout as "Listening on http://HOST:PORT/" for the caller to read.
import { env } from "./env.ts";

export function serve(handler: (req: Request) => Promise<Response>): void {
  const port = env("PORT");
  if (port === undefined) {
    Deno.serve(handler);
    return;
  }
  Deno.serve({
    port: Number(port),
    hostname: env("HOST") ?? "127.0.0.1",
    onListen: ({ hostname, port }) => console.log(`Listening on http://${hostname}:${port}/`),
  }, handler);
}
