/** Sprig functions whose results depend on the clock or randomness (golden files cover the rest). */
import { assertEquals, assertMatch } from "../support/assert.ts";
import { loadAllLibraries, render } from "../../src/template/mod.ts";
import { GoTime } from "../../src/template/mod.ts";

// node-forge, bcryptjs and node:crypto must be loaded before a sync render calls their functions.
await loadAllLibraries();

const NOW = Date.UTC(2024, 4, 6, 7, 8, 9);
const opts = { now: () => NOW, random: () => 0.5 };

Deno.test("now prints like Go's time.Time", () => {
  assertEquals(render("{{ now }}", {}, opts), "2024-05-06 07:08:09 +0000 UTC");
});

Deno.test("ago measures from the injected clock", () => {
  const t = new GoTime(NOW - 90_000);
  assertEquals(render("{{ ago . }}", t, opts), "1m30s");
});

Deno.test("date without a time value formats now", () => {
  assertEquals(render('{{ date "2006-01-02" .missing }}', {}, opts), "2024-05-06");
});

Deno.test("dateModify and date_in_zone", () => {
  assertEquals(
    render(
      '{{ now | dateModify "24h" | date "Jan 2" }} {{ dateInZone "15:04 MST" now "Asia/Tokyo" }}',
      {},
      opts,
    ),
    "May 7 16:08 JST",
  );
});

Deno.test("durationRound of a time counts from now", () => {
  assertEquals(render("{{ durationRound . }}", new GoTime(NOW - 3 * 86_400_000 - 5), opts), "3d");
});

Deno.test("random functions use the injected source", () => {
  assertEquals(
    render("{{ randNumeric 3 }} {{ randInt 10 20 }} {{ randAlpha 2 }}", {}, opts),
    "555 15 AA",
  );
  assertMatch(
    render("{{ uuidv4 }}", {}, opts),
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
});

Deno.test("regexReplaceAll expands named groups", () => {
  assertEquals(
    render('{{ regexReplaceAll "(?P<k>\\\\w+)=(?P<v>\\\\w+)" "a=1 b=2" "${v}:${k}" }}', {}),
    "1:a 2:b",
  );
});

Deno.test("Go regexp flags at the start of a pattern work", () => {
  assertEquals(render('{{ regexMatch "(?i)^HELLO" "hello world" }}', {}), "true");
});
