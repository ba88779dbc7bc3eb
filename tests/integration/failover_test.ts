/**
 * Failover across a list of server addresses with the real sidecar process
 * (`deno run -P=sidecar src/main.ts run`) and real servers: two devbao processes seeded with the
 * same data stand in for the nodes of a cluster (devbao has no Raft/HA, so the nodes do not
 * replicate: each change is written to the node that should serve it). The first node is killed
 * (SIGKILL) or sealed; changes written to the second must then reach the files, and no file may be
 * missing, empty or hold anything but a value written to Vault at any moment on the way (a watcher
 * reads every file every few milliseconds).
 *
 * @module
 */
import { type OpenBao, startOpenBao } from "../support/openbao.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import { assertEquals, assertLessOrEqual, assertNoLeaks } from "./sync_support.ts";

const SECRETS = ["alpha", "beta", "gamma"];
const REFRESH = "250ms";

/** Writes `value` as the password of every secret on each given node. */
async function writeAll(nodes: OpenBao[], value: string): Promise<void> {
  for (const node of nodes) {
    for (const name of SECRETS) await node.writeKv2("secret", `ha/${name}`, { password: value });
  }
}

/** What the template renders for `value`. */
const rendered = (value: string) => `PASSWORD=${value}\n`;

/**
 * Reads every file in a loop until stopped and records each moment one was missing, empty or
 * held content that was never written.
 */
function watchFiles(files: string[], allowed: Set<string>) {
  const problems: string[] = [];
  let reads = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      for (const file of files) {
        const text = await readIfExists(file);
        reads++;
        if (text === undefined) problems.push(`${file} missing`);
        else if (text === "") problems.push(`${file} empty`);
        else if (!allowed.has(text)) {
          problems.push(`${file} holds unexpected ${JSON.stringify(text)}`);
        }
      }
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  return {
    problems,
    get reads() {
      return reads;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Starts two nodes that accept the same token and hold the same data (`v1`). */
async function startPair(): Promise<[OpenBao, OpenBao]> {
  const first = await startOpenBao();
  let second: OpenBao;
  try {
    second = await startOpenBao();
    // The sidecar holds one token: make the first node's root token valid on the second.
    await second.api("POST", "auth/token/create", {
      body: { id: first.rootToken, policies: ["root"] },
    }).then((res) => {
      if (res.status !== 200) throw new Error(`Cannot copy the token: ${res.status}`);
    });
  } catch (error) {
    await first.stop();
    throw error;
  }
  await writeAll([first, second], "v1");
  return [first, second];
}

/**
 * Starts the sidecar on `nodes`: the addresses as a YAML list, or with `viaEnv` as
 * `VAULT_ADDR=a,b` (the comma-separated form).
 */
async function startSidecarOn(nodes: OpenBao[], dir: string, options: { viaEnv?: boolean } = {}) {
  const addresses = nodes.map((n) => n.address);
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `secretStore:
  address:${options.viaEnv ? ' "${VAULT_ADDR}"' : addresses.map((a) => `\n    - ${a}`).join("")}
  token: "\${VAULT_TOKEN}"
  requestTimeout: 2s
settings:
  metrics:
    enabled: false
secrets:
${
      SECRETS.map((name) =>
        `  - name: ${name}
    key: ha/${name}
    refreshInterval: ${REFRESH}
    template: { data: { out: "PASSWORD={{ .password }}\\n" } }
    files: [{ path: ${dir}/${name}.env }]`
      ).join("\n")
    }
`,
  );
  return startSidecar({
    args: ["run", "--config", config],
    env: {
      VAULT_TOKEN: nodes[0]!.rootToken,
      STATUS_FILE: `${dir}/status`,
      ...(options.viaEnv ? { VAULT_ADDR: addresses.join(",") } : {}),
    },
  });
}

async function allFilesHold(files: string[], text: string): Promise<boolean> {
  for (const file of files) if ((await readIfExists(file)) !== text) return false;
  return true;
}

Deno.test("a SIGKILLed first node fails over to the second within 10 s, no file lost on the way", async () => {
  const [first, second] = await startPair();
  await using _first = first;
  await using _second = second;
  await using dir = await tmpDir();
  const files = SECRETS.map((name) => dir.join(`${name}.env`));
  await using sidecar = await startSidecarOn([first, second], dir.path);
  await sidecar.waitFor(() => allFilesHold(files, rendered("v1")), "the first sync from node 1");

  // A value only the second node has: while the first answers, the files must keep v1.
  await writeAll([second], "v2");
  const watcher = watchFiles(files, new Set(["v1", "v2", "v3"].map(rendered)));
  let failoverMs: number;
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    assertEquals(
      await allFilesHold(files, rendered("v1")),
      true,
      "served by node 1 while it is up",
    );

    first.kill("SIGKILL");
    const killedAt = performance.now();
    await sidecar.waitFor(() => allFilesHold(files, rendered("v2")), "v2 from node 2", 10_000);
    failoverMs = performance.now() - killedAt;

    // Changes keep flowing from the second node.
    await writeAll([second], "v3");
    await sidecar.waitFor(() => allFilesHold(files, rendered("v3")), "v3 from node 2", 5_000);
  } finally {
    await watcher.stop();
  }
  assertLessOrEqual(failoverMs, 10_000, "failover time, ms");
  assertLessOrEqual(100, watcher.reads, "file reads by the watcher");
  assertEquals(watcher.problems.slice(0, 5), [], "files missing, empty or torn");
  assertNoLeaks(sidecar, [first.rootToken]);
});

Deno.test("a sealed active node makes the sidecar move on to the next address of VAULT_ADDR=a,b", async () => {
  const [first, second] = await startPair();
  await using _first = first;
  await using _second = second;
  await using dir = await tmpDir();
  const files = SECRETS.map((name) => dir.join(`${name}.env`));
  await using sidecar = await startSidecarOn([first, second], dir.path, { viaEnv: true });
  await sidecar.waitFor(() => allFilesHold(files, rendered("v1")), "the first sync from node 1");

  await writeAll([second], "v2");
  const watcher = watchFiles(files, new Set([rendered("v1"), rendered("v2")]));
  let movedMs: number;
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    assertEquals(
      await allFilesHold(files, rendered("v1")),
      true,
      "served by node 1 while unsealed",
    );
    await first.seal();
    const sealedAt = performance.now();
    await sidecar.waitFor(() => allFilesHold(files, rendered("v2")), "v2 from node 2", 10_000);
    movedMs = performance.now() - sealedAt;
  } finally {
    await watcher.stop();
  }
  assertLessOrEqual(movedMs, 10_000, "time to move on after the seal, ms");
  assertLessOrEqual(100, watcher.reads, "file reads by the watcher");
  assertEquals(watcher.problems.slice(0, 5), [], "files missing, empty or torn");
  // The sealed node answers 503 "Vault is sealed"; the next node served the secrets, so the
  // sidecar stayed ready.
  assertEquals(await Deno.stat(dir.join("status")).then(() => true, () => false), true, "ready");
  assertNoLeaks(sidecar, [first.rootToken]);
});
