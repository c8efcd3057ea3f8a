// A local stand-in for Resend, Slack and Twilio: records every request exactly as received (method, path, headers,
// raw body) and answers with whatever the test scripts, so senders are checked against real HTTP, not mocks.

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (for timeout tests). */
  delayMs?: number;
}

export interface CaptureServer {
  url: string;
  requests: CapturedRequest[];
  close(): Promise<void>;
}

export function startCaptureServer(
  reply: (req: CapturedRequest, index: number) => Reply = () => ({ status: 200, body: "ok" }),
): CaptureServer {
  const requests: CapturedRequest[] = [];
  const aborts = new AbortController();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const captured = { method: req.method, path: url.pathname, headers: req.headers, body: await req.text() };
    requests.push(captured);
    const r = reply(captured, requests.length - 1);
    if (r.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, r.delayMs);
        aborts.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return new Response(r.body ?? "", { status: r.status ?? 200, headers: r.headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    async close() {
      aborts.abort();
      await server.shutdown();
    },
  };
}
