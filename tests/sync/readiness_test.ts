import { assertEquals } from "../support/assert.ts";
import { computeReadiness, type SecretState } from "../../src/sync/secret_state.ts";

const secrets = [
  { name: "a", maxStalenessMs: 1_000 },
  { name: "b", maxStalenessMs: 1_000 },
];

function states(entries: SecretState[]): Map<string, SecretState> {
  return new Map(entries.map((s) => [s.name, s]));
}

Deno.test("computeReadiness() is not ready until every secret synced once", () => {
  const r = computeReadiness(
    secrets,
    states([{ name: "a", lastSuccess: 100, consecutiveFailures: 0 }]),
    200,
  );
  assertEquals(r.ready, false);
  assertEquals(r.secrets.map((s) => s.status), ["ok", "pending"]);
  assertEquals(r.reason, "1 secret(s) never synced");
});

Deno.test("computeReadiness() turns ready, then false again when a secret goes stale", () => {
  const s = states([
    { name: "a", lastSuccess: 100, consecutiveFailures: 0 },
    { name: "b", lastSuccess: 100, consecutiveFailures: 2, lastErrorKind: "unavailable" },
  ]);
  const fresh = computeReadiness(secrets, s, 1_000);
  assertEquals(fresh.ready, true);
  assertEquals(fresh.secrets.map((x) => x.status), ["ok", "failing"]);
  assertEquals(fresh.secrets[1]!.lastErrorKind, "unavailable");
  const later = computeReadiness(secrets, s, 1_101);
  assertEquals(later.ready, false);
  assertEquals(later.secrets.map((x) => x.status), ["stale", "stale"]);
  assertEquals(later.secrets[0]!.ageMs, 1_001);
});

Deno.test("computeReadiness() with no secrets is ready", () => {
  assertEquals(computeReadiness([], new Map(), 0).ready, true);
});

Deno.test("computeReadiness() is not ready while a secret's lease or certificate has ended", () => {
  const s = states([
    { name: "a", lastSuccess: 100, consecutiveFailures: 0, expiresAt: 600 },
    { name: "b", lastSuccess: 100, consecutiveFailures: 0 },
  ]);
  assertEquals(computeReadiness(secrets, s, 599).ready, true);
  const ended = computeReadiness(secrets, s, 600);
  assertEquals(ended.ready, false);
  assertEquals(ended.secrets.map((x) => x.status), ["expired", "ok"]);
  assertEquals(ended.reason, "1 secret(s) with an expired lease or certificate");
});
