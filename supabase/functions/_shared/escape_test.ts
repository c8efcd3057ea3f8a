import assert from "node:assert/strict";
import { ELLIPSIS, escapeHtml, escapeMrkdwn, escapeWithin, oneLine, truncate } from "./escape.ts";

Deno.test("escapeHtml escapes & < > \" ' and nothing else", () => {
  assert.equal(
    escapeHtml(`<script>alert("x")</script> & 'q'`),
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;",
  );
  assert.equal(escapeHtml("&amp;"), "&amp;amp;", "already-escaped text is escaped again, not trusted");
  assert.equal(escapeHtml("plain *text* ü"), "plain *text* ü");
});

Deno.test("escapeMrkdwn escapes only & < > (Slack's rule)", () => {
  assert.equal(
    escapeMrkdwn("<!channel> & <@U123> <https://evil|click>"),
    "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil|click&gt;",
  );
  assert.equal(escapeMrkdwn(`"quotes" 'stay' *bold* _it_`), `"quotes" 'stay' *bold* _it_`);
});

Deno.test("truncate keeps the result within max and ends with an ellipsis", () => {
  assert.equal(truncate("hello", 5), "hello");
  assert.equal(truncate("hello!", 5), `hell${ELLIPSIS}`);
  assert.equal(truncate("hello", 1), ELLIPSIS);
  assert.equal(truncate("hello", 0), "");
  const long = "x".repeat(10_000);
  assert.equal(truncate(long, 150).length, 150);
});

Deno.test("truncate never splits a surrogate pair", () => {
  const text = "ab😀cd"; // 😀 is two UTF-16 code units
  const cut = truncate(text, 4); // would end in the middle of the emoji
  assert.equal(cut, `ab${ELLIPSIS}`);
  assert.ok(cut.length <= 4);
});

Deno.test("escapeWithin fits the escaped text and never cuts an entity in half", () => {
  const text = "&".repeat(100);
  const out = escapeWithin(text, 23, escapeMrkdwn);
  assert.ok(out.length <= 23);
  assert.equal(out, "&amp;".repeat(4) + ELLIPSIS);
  assert.equal(escapeWithin("a<b", 10, escapeMrkdwn), "a&lt;b");
});

Deno.test("oneLine removes CR/LF and control characters", () => {
  assert.equal(oneLine("a\r\nBcc: x@y\tz\u0000"), "a Bcc: x@y z");
});

Deno.test("truncate can end with a plain-ASCII ellipsis (SMS stays in GSM-7)", () => {
  assert.equal(truncate("abcdefgh", 6, "..."), "abc...");
  assert.equal(truncate("abcdefgh", 2, "..."), "..");
});
