import assert from "node:assert/strict";
import { authorize } from "./auth.ts";
import { withEnv } from "./testing/env.ts";

const req = (headers: Record<string, string>) => new Request("http://localhost/", { method: "POST", headers });
const SERVICE = "service-role-key-0123456789";
const SECRET = "dispatch-secret-abcdef";

Deno.test("auth: no credentials, or no secrets configured, never passes", async () => {
  await withEnv({ SUPABASE_SERVICE_ROLE_KEY: SERVICE }, () => {
    assert.equal(authorize(req({})), false);
    assert.equal(authorize(req({ authorization: "Bearer" })), false);
    assert.equal(authorize(req({ authorization: "Bearer " })), false);
  });
  await withEnv({}, () => {
    assert.equal(authorize(req({ authorization: "Bearer " })), false);
    assert.equal(authorize(req({ apikey: "" })), false);
    assert.equal(authorize(req({ authorization: "Bearer undefined" })), false);
  });
  await withEnv({ SUPABASE_SERVICE_ROLE_KEY: "", ALERT_DISPATCH_SECRET: "  " }, () => {
    assert.equal(authorize(req({ authorization: "Bearer " })), false);
    assert.equal(authorize(req({ apikey: "  " })), false);
  });
});

Deno.test("auth: forged tokens are refused", async () => {
  await withEnv({ SUPABASE_SERVICE_ROLE_KEY: SERVICE, ALERT_DISPATCH_SECRET: SECRET }, () => {
    assert.equal(authorize(req({ authorization: `Bearer ${SERVICE}x` })), false);
    assert.equal(authorize(req({ authorization: `Bearer ${SERVICE.slice(0, -1)}` })), false);
    assert.equal(authorize(req({ authorization: `Basic ${SERVICE}` })), false);
    assert.equal(authorize(req({ authorization: SERVICE })), false, "the scheme is required");
    assert.equal(authorize(req({ apikey: SECRET.toUpperCase() })), false);
  });
});

Deno.test("auth: the service-role key or the dispatch secret, as Bearer or apikey", async () => {
  await withEnv({ SUPABASE_SERVICE_ROLE_KEY: SERVICE, ALERT_DISPATCH_SECRET: SECRET }, () => {
    assert.equal(authorize(req({ authorization: `Bearer ${SERVICE}` })), true);
    assert.equal(authorize(req({ authorization: `bearer ${SECRET}` })), true);
    assert.equal(authorize(req({ apikey: SERVICE })), true);
    assert.equal(authorize(req({ apikey: SECRET })), true);
    assert.equal(authorize(req({ authorization: "Bearer anon-key", apikey: SECRET })), true);
  });
  await withEnv({ ALERT_DISPATCH_SECRET: SECRET }, () => {
    assert.equal(authorize(req({ authorization: `Bearer ${SECRET}` })), true, "works without the service key");
  });
});
