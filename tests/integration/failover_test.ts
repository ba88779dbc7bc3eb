/**
 * Failover across the nodes of a real 3-node OpenBao Raft cluster
 * (tests/support/openbao_cluster.ts) with the real sidecar process
 * (`deno run -P=sidecar src/main.ts run`), configured with every node's address.
 *
 * What a real cluster does (docs/openbao-cluster.md): a standby serves KV reads and token lookups
 * itself from its Raft copy and forwards writes to the active node; a sealed node answers 503
 * "Vault is sealed"; a SIGKILLed node refuses connections. The sidecar must move past the dead or
 * sealed node, changes written through the (new) leader must reach the files, and a watcher that
 * reads every file every 5 ms must never see one missing, empty or holding a value never written.
 *
 * @module
 */
import {
  type OpenBaoCluster,
  type OpenBaoClusterNode,
  startOpenBaoCluster,
} from "../support/openbao_cluster.ts";
import { readIfExists, type Sidecar, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";
import {
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertNoLeaks,
  assertStringIncludes,
} from "./sync_support.ts";

const SECRETS = ["alpha", "beta", "gamma"];
/** Bound from the new leader's election to the change being in every file. */
const CHANGE_AFTER_ELECTION_MS = 15_000;

/** What the template renders for `value`. */
const rendered = (value: string) => `PASSWORD=${value}\n`;

/** Writes `value` as the password of every secret, through `node`. */
async function writeAll(node: OpenBaoClusterNode, value: string): Promise<void> {
  for (const name of SECRETS) {
    await node.admin.writeKv2("secret", `ha/${name}`, { password: value });
  }
}

/**
 * Reads every file every 5 ms until stopped; records each moment one was missing, empty, held
 * content never written or went back to an older value (`values` in the order written), and each
 * status-file read that said not ready.
 */
function watchFiles(files: string[], values: string[], statusFile: string) {
  const problems: string[] = [];
  const notReady: string[] = [];
  const allowed = values.map(rendered);
  const newest = new Map<string, number>();
  let reads = 0;
  let running = true;
  const done = (async () => {
    let lastStatusCheck = 0;
    while (running) {
      for (const file of files) {
        const text = await readIfExists(file);
        reads++;
        const index = text === undefined ? -1 : allowed.indexOf(text);
        if (text === undefined) problems.push(`${file} missing`);
        else if (text === "") problems.push(`${file} empty`);
        else if (index === -1) problems.push(`${file} holds unexpected ${JSON.stringify(text)}`);
        else if (index < (newest.get(file) ?? 0)) {
          problems.push(`${file} went back to ${JSON.stringify(text)}`);
        } else newest.set(file, index);
      }
      if (performance.now() - lastStatusCheck >= 100) {
        lastStatusCheck = performance.now();
        const status = await readIfExists(statusFile);
        // The file is replaced atomically: a read is either the old or the new JSON.
        if (status === undefined || JSON.parse(status).ready !== true) {
          notReady.push(status ?? "no status file");
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    problems,
    notReady,
    get reads() {
      return reads;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

/**
 * Starts the sidecar on `addresses`: as a YAML list, or with `viaEnv` as `VAULT_ADDR=a,b,c`
 * (the comma-separated form).
 */
async function startSidecarOn(
  cluster: OpenBaoCluster,
  addresses: string[],
  dir: string,
  options: { viaEnv?: boolean } = {},
): Promise<Sidecar> {
  const config = `${dir}/config.yaml`;
  const address = options.viaEnv
    ? ' "${VAULT_ADDR}"'
    : addresses.map((a) => `\n    - ${a}`).join("");
  await Deno.writeTextFile(
    config,
    `secretStore:
  address:${address}
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
    refreshInterval: 1s
    # An election takes 2.7-4.4 s (longer on a loaded machine): readiness may not flap for it.
    maxStaleness: 15s
    template: { data: { out: "PASSWORD={{ .password }}\\n" } }
    files: [{ path: ${dir}/${name}.env }]`
      ).join("\n")
    }
`,
  );
  return startSidecar({
    args: ["run", "--config", config],
    env: {
      VAULT_TOKEN: cluster.rootToken,
      STATUS_FILE: `${dir}/status`,
      ...(options.viaEnv ? { VAULT_ADDR: addresses.join(",") } : {}),
    },
  });
}

async function allFilesHold(files: string[], text: string): Promise<boolean> {
  for (const file of files) if ((await readIfExists(file)) !== text) return false;
  return true;
}

/** Runs `secrets-sync isready` against the status file; returns its exit code and output. */
async function isready(statusFile: string): Promise<{ code: number; output: string }> {
  await using child = startSidecar({
    args: ["isready"],
    env: { STATUS_FILE: statusFile, ENABLE_METRICS: "false" },
  });
  const { code } = await child.status;
  return { code, output: child.stdout() + child.stderr() };
}

/** Waits until `isready` passes (the status file flips a moment after the files are written). */
async function waitReady(sidecar: Sidecar, statusFile: string): Promise<void> {
  await sidecar.waitFor(async () => (await isready(statusFile)).code === 0, "ready");
}

/** How many sync attempts the sidecar logged as failed. */
function failedSyncs(sidecar: Sidecar): number {
  return sidecar.logs().filter((l) => String(l.message).startsWith("Cannot sync")).length;
}

/** Tracks whether the sidecar process exited. */
function exitWatch(sidecar: Sidecar): () => boolean {
  let exited = false;
  sidecar.status.then(() => exited = true, () => exited = true);
  return () => exited;
}

/** The leader first, then the standbys in node order. */
async function leaderFirst(cluster: OpenBaoCluster) {
  const leader = await cluster.leader();
  const standbys = cluster.nodes.filter((n) => n !== leader);
  return { leader, standbys, addresses: [leader, ...standbys].map((n) => n.address) };
}

Deno.test("the sidecar keeps every file through a SIGKILL of the leader and picks up a change written through the new leader within 15 s of its election", async () => {
  await using cluster = await startOpenBaoCluster();
  console.log(`3-node cluster started in ${(cluster.startMs / 1000).toFixed(1)} s`);
  const { leader, addresses } = await leaderFirst(cluster);
  await writeAll(leader, "v1");
  await using dir = await tmpDir();
  const files = SECRETS.map((name) => dir.join(`${name}.env`));
  const statusFile = dir.join("status");
  await using sidecar = await startSidecarOn(cluster, addresses, dir.path);
  const exited = exitWatch(sidecar);
  await sidecar.waitFor(() => allFilesHold(files, rendered("v1")), "the first sync");
  await waitReady(sidecar, statusFile);

  const watcher = watchFiles(files, ["v1", "v2"], statusFile);
  let electionMs: number;
  let changeToFileMs: number;
  let electionToFileMs: number;
  try {
    // A moment of steady state, so the watcher sees the files before the kill too.
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = performance.now();
    await cluster.kill(leader, "SIGKILL");
    const { node: newLeader, activeAt } = await cluster.waitForLeader({ not: leader });
    electionMs = activeAt - killedAt;

    const writtenAt = performance.now();
    await writeAll(newLeader, "v2");
    await sidecar.waitFor(
      () => allFilesHold(files, rendered("v2")),
      "v2 written through the new leader",
      CHANGE_AFTER_ELECTION_MS,
    );
    const inFilesAt = performance.now();
    changeToFileMs = inFilesAt - writtenAt;
    electionToFileMs = inFilesAt - activeAt;
    // Readiness after the failover, as `isready` sees it.
    const ready = await isready(statusFile);
    assertEquals(ready.code, 0, `isready after the failover: ${ready.output}`);
  } finally {
    await watcher.stop();
  }
  console.log(
    `leader SIGKILL → new leader active: ${electionMs.toFixed(0)} ms; ` +
      `change written through the new leader → in every file: ${changeToFileMs.toFixed(0)} ms ` +
      `(${electionToFileMs.toFixed(0)} ms after the election); ` +
      `${watcher.reads} file reads, ${watcher.notReady.length} not-ready status reads, ` +
      `${failedSyncs(sidecar)} failed syncs logged`,
  );
  assertLessOrEqual(electionToFileMs, CHANGE_AFTER_ELECTION_MS, "election → change in files, ms");
  assertGreaterOrEqual(watcher.reads, 300, "file reads by the watcher");
  assertEquals(watcher.problems.slice(0, 5), [], "files missing, empty, torn or older");
  // Standbys serve reads themselves, so the sidecar never lost its secrets: ready throughout.
  assertEquals(watcher.notReady.slice(0, 3), [], "status file said not ready");
  assertEquals(exited(), false, "the sidecar exited");
  assertNoLeaks(sidecar, [cluster.rootToken]);
});

Deno.test("the sidecar skips a sealed node and still picks up changes, no file lost", async () => {
  await using cluster = await startOpenBaoCluster();
  const { leader, standbys } = await leaderFirst(cluster);
  // The sealed node is the first address: the one the sidecar reads from (a standby serves
  // reads itself). The leader stays up, so this is about the seal alone, not an election.
  const sealed = standbys[0]!;
  const addresses = [sealed, ...standbys.slice(1), leader].map((n) => n.address);
  await writeAll(leader, "v1");
  await using dir = await tmpDir();
  const files = SECRETS.map((name) => dir.join(`${name}.env`));
  const statusFile = dir.join("status");
  await using sidecar = await startSidecarOn(cluster, addresses, dir.path);
  const exited = exitWatch(sidecar);
  await sidecar.waitFor(() => allFilesHold(files, rendered("v1")), "the first sync");
  await waitReady(sidecar, statusFile);

  const watcher = watchFiles(files, ["v1", "v2"], statusFile);
  let changeToFileMs: number;
  try {
    await cluster.seal(sealed);
    const answer = await sealed.admin.api("GET", `secret/data/ha/${SECRETS[0]}`);
    assertEquals(answer.status, 503);
    assertStringIncludes(JSON.stringify(answer.body), "Vault is sealed");

    const writtenAt = performance.now();
    await writeAll(leader, "v2");
    await sidecar.waitFor(() => allFilesHold(files, rendered("v2")), "v2 with a node sealed");
    changeToFileMs = performance.now() - writtenAt;
    const ready = await isready(statusFile);
    assertEquals(ready.code, 0, `isready with a node sealed: ${ready.output}`);
  } finally {
    await watcher.stop();
  }
  console.log(
    `with the first address sealed, change → in every file: ${changeToFileMs.toFixed(0)} ms`,
  );
  assertEquals(watcher.problems.slice(0, 5), [], "files missing, empty, torn or older");
  assertEquals(watcher.notReady.slice(0, 3), [], "status file said not ready");
  assertEquals(exited(), false, "the sidecar exited");

  // Unsealed again, the node serves reads at once, but from its Raft copy, which catches up
  // with the writes it missed a moment later (reads on a standby are eventually consistent).
  await cluster.unseal(sealed);
  const unsealedAt = performance.now();
  await sidecar.waitFor(
    async () => {
      const back = await sealed.admin.api("GET", `secret/data/ha/${SECRETS[0]}`);
      return back.status === 200 && back.body?.data?.data?.password === "v2";
    },
    "the unsealed node to serve v2",
    10_000,
  );
  console.log(
    `unsealed node serves the write it missed ${(performance.now() - unsealedAt).toFixed(0)} ms ` +
      "after the unseal",
  );
  assertNoLeaks(sidecar, [cluster.rootToken]);
});

Deno.test("VAULT_ADDR=a,b,c names the cluster's nodes: the sidecar reads from a, then moves on when a dies", async () => {
  await using cluster = await startOpenBaoCluster();
  const { leader, standbys } = await leaderFirst(cluster);
  await writeAll(leader, "v1");
  await using dir = await tmpDir();
  const files = SECRETS.map((name) => dir.join(`${name}.env`));
  // A standby first: killing it needs no election, so this is about the list alone.
  const first = standbys[0]!;
  const addresses = [first, ...standbys.slice(1), leader].map((n) => n.address);
  await using sidecar = await startSidecarOn(cluster, addresses, dir.path, { viaEnv: true });
  const exited = exitWatch(sidecar);
  await sidecar.waitFor(() => allFilesHold(files, rendered("v1")), "the first sync");
  await cluster.kill(first);
  await writeAll(leader, "v2");
  await sidecar.waitFor(() => allFilesHold(files, rendered("v2")), "the change after a died");
  await waitReady(sidecar, dir.join("status"));
  assertEquals(exited(), false, "the sidecar exited");
  assertNoLeaks(sidecar, [cluster.rootToken]);
});
