/**
 * The sidecar against a real OpenBao 2.6.2 standby (a 3-node Raft cluster,
 * tests/support/openbao_cluster.ts). What a real standby does (docs/openbao-cluster.md):
 *
 * - it answers KV reads and token lookups itself, from its own Raft copy;
 * - it forwards what it cannot answer (writes, renew-self, a use-limited token, a token it does
 *   not know) to the active node over the cluster port, and the client sees the active node's
 *   answer;
 * - only when the client says `X-Vault-No-Request-Forwarding` (or forwarding fails) does it answer
 *   such a request with a 307 to the active node's `api_addr`.
 *
 * The sidecar never sends that header, so the 307 tests put a small proxy in front of the standby
 * that adds it (as a load balancer or a client library may). The sidecar follows a 307 only to
 * an address it was configured with, so the token never goes to a host it was not given.
 *
 * All steps share one cluster (a start costs ~9 s); none of them kills or seals a node.
 */
import {
  assert,
  assertEquals,
  assertNotIncludes,
  assertStringIncludes,
} from "../support/assert.ts";
import { type OpenBaoClusterNode, startOpenBaoCluster } from "../support/openbao_cluster.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

function config(addresses: string[], out: string, key = "app/db"): string {
  return `
secretStore:
  address: [${addresses.map((a) => `"${a}"`).join(", ")}]
  authMethod: token
  token: "\${VAULT_TOKEN}"
settings:
  metrics: { enabled: false }
secrets:
  - name: db
    key: ${key}
    mountPath: secret
    refreshInterval: 1s
    template: { data: { pw: "{{ .password }}" } }
    files: [{ path: ${out} }]
`;
}

/** One request the proxy passed on, and the standby's answer. */
interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
  location: string | null;
}

/**
 * A reverse proxy in front of `target` that adds `X-Vault-No-Request-Forwarding: true` to every
 * request and passes the answer back untouched (a 307 included), recording what it saw.
 */
function startNoForwardProxy(target: string) {
  const seen: ProxiedRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.set("X-Vault-No-Request-Forwarding", "true");
    headers.delete("host");
    const body = req.method === "GET" || req.method === "HEAD"
      ? undefined
      : await req.arrayBuffer();
    const res = await fetch(`${target}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
      ...(body ? { body } : {}),
    });
    seen.push({
      method: req.method,
      path: url.pathname,
      status: res.status,
      location: res.headers.get("location"),
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
  return {
    address: `http://127.0.0.1:${server.addr.port}`,
    seen,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** Waits (bounded) until `node` serves `password` at secret/app/db: standbys apply Raft async. */
async function waitUntilReplicated(node: OpenBaoClusterNode, key: string, password: string) {
  const end = performance.now() + 10_000;
  while (performance.now() < end) {
    const res = await node.admin.api("GET", `secret/data/${key}`);
    if (res.body?.data?.data?.password === password) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${node.address} did not serve the new version of "${key}" within 10 s`);
}

/** A token's remaining uses and expiry, looked up by accessor (which does not use the token). */
async function tokenState(leader: OpenBaoClusterNode, accessor: string) {
  const res = await leader.admin.api("POST", "auth/token/lookup-accessor", { body: { accessor } });
  return {
    status: res.status,
    numUses: res.body?.data?.num_uses as number,
    expireTime: Date.parse(res.body?.data?.expire_time ?? ""),
  };
}

Deno.test("a real standby", async (t) => {
  await using cluster = await startOpenBaoCluster();
  const leader = await cluster.leader();
  const standby = cluster.nodes.find((n) => n !== leader)!;
  const health = await standby.admin.api("GET", "sys/health", { token: null });
  assertEquals([health.status, health.body.standby, health.body.sealed], [429, true, false]);

  await t.step(
    "once with only a standby's address reads the secret and writes the file",
    async () => {
      await using dir = await tmpDir();
      const password = `pw-${crypto.randomUUID()}`;
      await leader.admin.writeKv2("secret", "app/db", { password });
      await waitUntilReplicated(standby, "app/db", password);
      const { sidecar, status } = await runOnce(
        [standby.address],
        dir.join("pw"),
        cluster.rootToken,
      );
      assertEquals(status.code, 0, sidecar.stdout() + sidecar.stderr());
      assertEquals(await Deno.readTextFile(dir.join("pw")), password);
      assertNotIncludes(sidecar.stdout() + sidecar.stderr(), password);
      assertNotIncludes(sidecar.stdout() + sidecar.stderr(), cluster.rootToken);
    },
  );

  await t.step(
    "the standby answers the KV read and lookup-self itself: no 307 even when told not to forward",
    async () => {
      await using dir = await tmpDir();
      const password = `pw-${crypto.randomUUID()}`;
      await leader.admin.writeKv2("secret", "app/local", { password });
      await waitUntilReplicated(standby, "app/local", password);
      await using proxy = startNoForwardProxy(standby.address);
      // Only the proxy is configured: a 307 to the active node would be refused.
      const { sidecar, status } = await runOnce(
        [proxy.address],
        dir.join("pw"),
        cluster.rootToken,
        "app/local",
      );
      assertEquals(status.code, 0, sidecar.stdout() + sidecar.stderr());
      assertEquals(await Deno.readTextFile(dir.join("pw")), password);
      const paths = proxy.seen.map((r) => `${r.method} ${r.path} ${r.status}`);
      assert(paths.includes("GET /v1/auth/token/lookup-self 200"), paths.join(", "));
      assert(paths.includes("GET /v1/secret/data/app/local 200"), paths.join(", "));
      assertEquals(proxy.seen.filter((r) => r.status === 307), []);
    },
  );

  await t.step(
    "run renews a token through a standby: the standby forwards renew-self to the active node",
    async () => {
      await using dir = await tmpDir();
      const password = `pw-${crypto.randomUUID()}`;
      await leader.admin.writeKv2("secret", "app/renew", { password });
      const token = await leader.admin.createToken({ ttl: "6s", explicitMaxTtl: "1h" });
      const created = await tokenState(leader, token.accessor);
      await waitUntilReplicated(standby, "app/renew", password);
      const configPath = dir.join("config.yaml");
      await Deno.writeTextFile(configPath, config([standby.address], dir.join("pw"), "app/renew"));
      await using sidecar = startSidecar({
        args: ["run", "--config", configPath],
        env: { VAULT_TOKEN: token.token, STATUS_FILE: dir.join("status") },
      });
      await sidecar.waitFor(
        async () => (await readIfExists(dir.join("pw"))) === password,
        "the file",
      );
      // Only the standby is configured; it cannot renew itself, so a later expiry means it
      // forwarded renew-self (the sidecar renews at ~2/3 of the TTL it looked up).
      await sidecar.waitFor(
        async () => (await tokenState(leader, token.accessor)).expireTime > created.expireTime,
        "a renewal (a later expire_time)",
        15_000,
      );
      assertNotIncludes(sidecar.stdout() + sidecar.stderr(), token.token);
    },
  );

  await t.step(
    "once follows a standby's 307 to the active node when that node is configured",
    async () => {
      await using dir = await tmpDir();
      const password = `pw-${crypto.randomUUID()}`;
      await leader.admin.writeKv2("secret", "app/limited", { password });
      // A use-limited token is always handled by the active node: a standby that may not forward
      // answers every request carrying it with a 307.
      const token = await leader.admin.createToken({ numUses: 10 });
      await using proxy = startNoForwardProxy(standby.address);
      const { sidecar, status } = await runOnce(
        [proxy.address, leader.address],
        dir.join("pw"),
        token.token,
        "app/limited",
      );
      assertEquals(status.code, 0, sidecar.stdout() + sidecar.stderr());
      assertEquals(await Deno.readTextFile(dir.join("pw")), password);
      const redirects = proxy.seen.filter((r) => r.status === 307);
      assert(redirects.length > 0, JSON.stringify(proxy.seen));
      for (const r of redirects) assertEquals(r.location, `${leader.address}${r.path}`);
      // The requests that reached the active node used the token there.
      const state = await tokenState(leader, token.accessor);
      assert(state.numUses < 10, `num_uses ${state.numUses}`);
      assertNotIncludes(sidecar.stdout() + sidecar.stderr(), token.token);
    },
  );

  await t.step(
    "once does not follow a standby's 307 to a node it was not configured with",
    async () => {
      await using dir = await tmpDir();
      await leader.admin.writeKv2("secret", "app/elsewhere", { password: "never-written" });
      const token = await leader.admin.createToken({ numUses: 10 });
      await using proxy = startNoForwardProxy(standby.address);
      const configPath = dir.join("config.yaml");
      await Deno.writeTextFile(
        configPath,
        config([proxy.address], dir.join("pw"), "app/elsewhere"),
      );
      await using sidecar = startSidecar({
        args: ["once", "--config", configPath, "--timeout", "3s"],
        env: { VAULT_TOKEN: token.token, STATUS_FILE: dir.join("status") },
      });
      const status = await sidecar.status;
      assertEquals(status.code, 1);
      assertEquals(await readIfExists(dir.join("pw")), undefined);
      const output = sidecar.stdout() + sidecar.stderr();
      assertStringIncludes(output.toLowerCase(), "redirect");
      assertNotIncludes(output, token.token);
      assert(proxy.seen.some((r) => r.status === 307), JSON.stringify(proxy.seen));
      // Not one request reached the active node with the token: every use is left.
      assertEquals((await tokenState(leader, token.accessor)).numUses, 10);
    },
  );
});

/**
 * Runs `once` with a config built by {@linkcode config} (the same arguments) and the token, and
 * resolves when it has exited, with its output for inspection.
 */
async function runOnce(addresses: string[], out: string, token: string, key?: string) {
  const dir = out.slice(0, out.lastIndexOf("/"));
  const configPath = `${dir}/config.yaml`;
  await Deno.writeTextFile(configPath, config(addresses, out, key));
  const sidecar = startSidecar({
    args: ["once", "--config", configPath, "--timeout", "10s"],
    env: { VAULT_TOKEN: token, STATUS_FILE: `${dir}/status` },
  });
  return { sidecar, status: await sidecar.status };
}
