/**
 * JwtAuth's part of a login, with the request captured: what it sends, that it reads the JWT file
 * at every login, and that an error never carries the JWT. The server side is tested against the
 * real OpenBao in tests/integration/jwt_auth_test.ts.
 */
import { JwtAuth } from "../../src/vault/_auth.ts";
import type { ApiRequest, ApiResponse } from "../../src/vault/_http_transport.ts";
import { VaultError } from "../../src/vault/mod.ts";
import {
  assertEquals,
  assertInstanceOf,
  assertNotIncludes,
  assertRejects,
} from "../support/assert.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const JWT_A = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLWE";
const JWT_B = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiIn0.c2lnbmF0dXJlLWI";

function setUp(jwtFile: string, answer: (request: ApiRequest) => Partial<ApiResponse>) {
  const requests: ApiRequest[] = [];
  const sensitive: string[] = [];
  const auth = new JwtAuth({ method: "kubernetes", role: "app", jwtFile, mount: "k8s" }, {
    call: (_operation, request) => {
      requests.push(request);
      return Promise.resolve(
        { headers: new Headers(), status: 200, ...answer(request) } as ApiResponse,
      );
    },
    namespace: "team",
    onSensitive: (value) => sensitive.push(value),
    nowMs: () => 0,
  });
  return { auth, requests, sensitive };
}

const OK = {
  status: 200,
  body: {
    auth: { client_token: "s.issued", lease_duration: 60, renewable: true, policies: ["p"] },
  },
};

Deno.test("JwtAuth.login() posts role and the file's JWT to auth/<mount>/login, reading the file every time", async () => {
  await using dir = await tmpDir();
  const file = dir.join("token");
  await Deno.writeTextFile(file, `${JWT_A}\n`);
  const { auth, requests, sensitive } = setUp(file, () => OK);
  const first = await auth.login();
  assertEquals(first, { token: "s.issued", leaseSeconds: 60, renewable: true, policies: ["p"] });
  // Same size, same mtime second: a stat-based cache could miss this rotation.
  await Deno.writeTextFile(file, JWT_B);
  await auth.login();
  assertEquals(requests.map((r) => [r.method, r.path, r.namespace, r.body]), [
    ["POST", "auth/k8s/login", "team", { role: "app", jwt: JWT_A }],
    ["POST", "auth/k8s/login", "team", { role: "app", jwt: JWT_B }],
  ]);
  assertEquals(sensitive, [JWT_A, "s.issued", JWT_B, "s.issued"]);
  assertEquals(await auth.credentialsChanged(), false);
});

Deno.test("JwtAuth.login() turns a rejected JWT into one auth_failed line with the server's reason", async () => {
  await using dir = await tmpDir();
  await Deno.writeTextFile(dir.join("token"), JWT_A);
  const { auth } = setUp(dir.join("token"), () => ({
    status: 400,
    body: {
      errors: ["error validating token: invalid expiration time (exp) claim: token is expired"],
    },
  }));
  const error = await assertRejects(() => auth.login(), VaultError);
  assertInstanceOf(error, VaultError);
  assertEquals(error.kind, "auth_failed");
  assertEquals(
    error.detail,
    "Kubernetes login rejected by auth/k8s: error validating token: invalid expiration time (exp) claim: token is expired (HTTP 400)",
  );
});

Deno.test("JwtAuth.login() leaves out a server error text that quotes the JWT", async () => {
  await using dir = await tmpDir();
  await Deno.writeTextFile(dir.join("token"), JWT_A);
  const { auth } = setUp(dir.join("token"), () => ({
    status: 400,
    body: { errors: [`cannot parse claims of ${JWT_A.split(".")[1]}`] },
  }));
  const error = await assertRejects(() => auth.login(), VaultError) as VaultError;
  assertNotIncludes(error.message + error.detail, JWT_A.split(".")[1]!);
  assertEquals(
    error.detail,
    "Kubernetes login rejected by auth/k8s: the server's error text quoted the JWT: left out (HTTP 400)",
  );
});

Deno.test("JwtAuth.login() names the JWT file it cannot read, and sends nothing", async () => {
  await using dir = await tmpDir();
  const { auth, requests } = setUp(dir.join("missing"), () => OK);
  const error = await assertRejects(() => auth.login(), Error);
  assertEquals(
    (error as Error).message.startsWith(`Cannot read JWT file "${dir.join("missing")}": `),
    true,
  );
  assertEquals(requests.length, 0);
});
