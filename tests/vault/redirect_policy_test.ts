import { assertEquals } from "../support/assert.ts";
import { allowedRedirect } from "../../src/vault/_redirect_policy.ts";

const ALLOWED = ["https://vault-a:8200", "https://vault-b:8200"];
const FROM = "https://vault-a:8200/v1/secret/data/app";

const CASES: Array<[string | null, string | undefined]> = [
  ["https://vault-b:8200/v1/secret/data/app", "https://vault-b:8200/v1/secret/data/app"],
  ["/v1/secret/data/app?version=2", "https://vault-a:8200/v1/secret/data/app?version=2"],
  ["http://vault-b:8200/v1/secret/data/app", undefined], // scheme downgrade
  ["https://vault-b:8201/v1/secret/data/app", undefined], // other port
  ["https://evil.example/v1/secret/data/app", undefined],
  ["https://user:pw@vault-b:8200/v1/x", undefined],
  ["//evil.example/v1/x", undefined],
  ["http://[::1", undefined],
  [null, undefined],
  ["", undefined],
];

for (const [location, expected] of CASES) {
  Deno.test(`allowedRedirect() ${expected ? "follows" : "refuses"} ${JSON.stringify(location)}`, () => {
    assertEquals(allowedRedirect(location, FROM, ALLOWED)?.href, expected);
  });
}
