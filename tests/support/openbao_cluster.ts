/**
 * Starts a real 3-node OpenBao Raft cluster for integration tests:
 * `await using cluster = await startOpenBaoCluster()`.
 *
 * Each node is a plain `bao server -config=FILE` (not `-dev`) with its own temp directory, free
 * loopback ports for the API and the cluster listener, `storage "raft"` with a `retry_join` for
 * every other node, and `disable_mlock`. The launcher initialises node 0 over the API (one Shamir
 * key), unseals it, waits until it is active, unseals the others (with Shamir a joiner needs the
 * unseal key to answer the join challenge), enables KV v2 at `secret/` and waits until autopilot
 * reports every server healthy as a voter: before that, killing the leader loses quorum.
 *
 * Speed-ups, measured in docs/openbao-cluster.md: `performance_multiplier = 1` in the raft stanza
 * (Raft timeouts ×1 instead of ×5: an election after a SIGKILL of the leader takes 2.4–4.9 s
 * instead of 14–20 s) and autopilot reconciling every second instead of every 10 s (start 9–11 s
 * instead of 14–21 s). `server_stabilization_time` is lowered to 1 s over the API too; it made no
 * measurable difference (autopilot ignores it during its own first 10 s, when the joiners arrive)
 * and only spares a slow start the full 10 s.
 *
 * The nodes declare no audit device: a standby whose declared device differs from the one stored
 * in Raft (a per-node `file_path`) fails its read-only set-up and forwards every request.
 *
 * @example
 * ```ts
 * await using cluster = await startOpenBaoCluster();
 * const leader = await cluster.leader();
 * await leader.admin.writeKv2("secret", "app/db", { password: "s3cret" });
 * await cluster.kill(leader);
 * const { node, activeAt } = await cluster.waitForLeader({ not: leader });
 * ```
 *
 * @module
 */

import { openBaoBinary, openBaoVersion } from "./build_openbao.ts";
import {
  adminClient,
  type ApiResponse,
  type BaoProcess,
  freePort,
  hclString,
  type OpenBaoAdmin,
  OpenBaoApiError,
  OpenBaoStartError,
  spawnBao,
  waitFor,
} from "./openbao.ts";

/** Options for {@linkcode startOpenBaoCluster}. */
export interface StartOpenBaoClusterOptions {
  /** Number of servers. @default 3 */
  nodes?: number;
  /** Binary to run. @default await openBaoBinary() */
  binary?: string;
  /** Aborts start-up (every process is killed). */
  signal?: AbortSignal;
  /** Bound on the whole start-up, init and autopilot included. @default 60_000 */
  startTimeoutMs?: number;
}

/** One server of the cluster. */
export interface OpenBaoClusterNode {
  /** Position in {@linkcode OpenBaoCluster.nodes}, also its Raft node id `node-<index>`. */
  readonly index: number;
  /** API base URL, e.g. `http://127.0.0.1:43117` (also its `api_addr`). */
  readonly address: string;
  /** `cluster_addr`, e.g. `https://127.0.0.1:43118` (request forwarding and Raft). */
  readonly clusterAddress: string;
  /** Admin calls bound to this node and the root token. */
  readonly admin: OpenBaoAdmin;
  readonly pid: number;
  /** Whether the process is still running. */
  readonly alive: boolean;
  /** The last 64 KiB of the node's stdout and stderr. */
  output(): string;
}

/** What {@linkcode OpenBaoCluster.waitForLeader} found. */
export interface NewLeader {
  node: OpenBaoClusterNode;
  /** `performance.now()` when sys/health first answered 200 (active) on it. */
  activeAt: number;
}

/** Options for {@linkcode OpenBaoCluster.waitForLeader}. */
export interface WaitForLeaderOptions {
  /** Ignore this node (the old leader, possibly still active for a moment). */
  not?: OpenBaoClusterNode;
  /** @default 30_000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A running cluster; `await using` stops it. */
export interface OpenBaoCluster extends AsyncDisposable {
  readonly nodes: readonly OpenBaoClusterNode[];
  readonly rootToken: string;
  /** The single Shamir unseal key (base64). */
  readonly unsealKey: string;
  /** Version reported by sys/health, checked against `bao version` of the same binary. */
  readonly version: string;
  readonly binary: string;
  /** Wall time of {@linkcode startOpenBaoCluster}, ms. */
  readonly startMs: number;
  /**
   * The live node that is active now (sys/health 200 and sys/leader `is_self`).
   * @throws {Error} when no live node, or more than one, is active
   */
  leader(options?: { signal?: AbortSignal }): Promise<OpenBaoClusterNode>;
  /** Polls every live node's sys/health until one (not `not`) is active. */
  waitForLeader(options?: WaitForLeaderOptions): Promise<NewLeader>;
  /** Sends `signal` to the node and waits (bounded) until it has exited. */
  kill(node: OpenBaoClusterNode, signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** `PUT sys/seal` on the node (an active node steps down first). */
  seal(node: OpenBaoClusterNode): Promise<void>;
  /** Unseals the node and waits until it serves again (standby or active). */
  unseal(node: OpenBaoClusterNode): Promise<void>;
  /** Kills every node and removes the temp directory. */
  stop(): Promise<void>;
}

/** Raft node id of node `index`. */
function nodeId(index: number): string {
  return `node-${index}`;
}

/** Server settings shared by all nodes (all measured: see docs/openbao-cluster.md). */
const RAFT_TUNING = [
  // Raft's election, heartbeat and leader-lease timeouts ×1 (1 s) instead of ×5.
  `  performance_multiplier = 1`,
  // Autopilot promotes stable non-voters when it reconciles: every 10 s by default.
  `  autopilot_reconcile_interval = "1s"`,
  `  autopilot_update_interval = "500ms"`,
];

/**
 * Seconds a joiner must be healthy before autopilot promotes it (API minimum: 1 s). Ignored by
 * autopilot during its own first `server_stabilization_time`, which covers a normal start.
 */
const STABILIZATION_SECONDS = 1;

interface NodePorts {
  api: number;
  cluster: number;
}

/** The `-config` file of one node. */
function nodeConfig(index: number, ports: NodePorts[], dataDir: string): string {
  const own = ports[index]!;
  const lines = [
    `storage "raft" {`,
    `  path = ${hclString(dataDir)}`,
    `  node_id = ${hclString(nodeId(index))}`,
    ...RAFT_TUNING,
  ];
  ports.forEach((other, i) => {
    if (i === index) return;
    lines.push(
      `  retry_join {`,
      `    leader_api_addr = ${hclString(`http://127.0.0.1:${other.api}`)}`,
      `  }`,
    );
  });
  lines.push(
    `}`,
    `listener "tcp" {`,
    `  address = ${hclString(`127.0.0.1:${own.api}`)}`,
    `  cluster_address = ${hclString(`127.0.0.1:${own.cluster}`)}`,
    `  tls_disable = true`,
    `}`,
    `api_addr = ${hclString(`http://127.0.0.1:${own.api}`)}`,
    `cluster_addr = ${hclString(`https://127.0.0.1:${own.cluster}`)}`,
    `disable_mlock = true`,
    `ui = false`,
  );
  return lines.join("\n") + "\n";
}

/** `count` loopback ports, all distinct, each free a moment ago. */
function distinctFreePorts(count: number): number[] {
  const ports = new Set<number>();
  for (let guard = 0; ports.size < count && guard < count * 20; guard++) ports.add(freePort());
  if (ports.size < count) throw new Error(`Cannot find ${count} distinct free ports`);
  return [...ports];
}

const START_ATTEMPTS = 3;

/**
 * Starts a Raft cluster of real `bao server` processes, initialised, unsealed, with KV v2 at
 * `secret/` and every node a healthy voter.
 *
 * Needs --allow-run, --allow-net=127.0.0.1, --allow-env, --allow-read and --allow-write (a temp
 * directory; .cache/ for the first build).
 * @throws {OpenBaoStartError} when a node exits or the cluster is not ready in time (the message
 * carries the last 64 KiB of every node's output)
 */
export async function startOpenBaoCluster(
  options: StartOpenBaoClusterOptions = {},
): Promise<OpenBaoCluster> {
  const { nodes = 3, signal, startTimeoutMs = 60_000 } = options;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) {
    throw new RangeError(`Invalid option "nodes": ${nodes} (expected an integer from 1 to 9)`);
  }
  if (!(startTimeoutMs > 0)) {
    throw new RangeError(`Invalid option "startTimeoutMs": ${startTimeoutMs}`);
  }
  signal?.throwIfAborted();
  const started = performance.now();
  const binary = options.binary ?? await openBaoBinary(signal ? { signal } : {});
  const expectedVersion = await openBaoVersion(binary);
  let lastError: OpenBaoStartError | undefined;
  // A port picked free can be taken by another test before a node binds it: start again.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, expectedVersion, options, nodes, startTimeoutMs, started);
    } catch (error) {
      if (!(error instanceof OpenBaoStartError) || !/address already in use/.test(error.output)) {
        throw error;
      }
      lastError = error;
    }
  }
  throw lastError;
}

interface NodeState extends OpenBaoClusterNode {
  readonly proc: BaoProcess;
}

async function startOnce(
  binary: string,
  expectedVersion: string,
  options: StartOpenBaoClusterOptions,
  count: number,
  startTimeoutMs: number,
  started: number,
): Promise<OpenBaoCluster> {
  const { signal } = options;
  const flat = distinctFreePorts(count * 2);
  const ports: NodePorts[] = Array.from({ length: count }, (_, i) => ({
    api: flat[2 * i]!,
    cluster: flat[2 * i + 1]!,
  }));
  const dir = await Deno.makeTempDir({ prefix: "openbao-cluster-" });

  // Every node's admin client is rebound to the root token once init has created it.
  let rootToken = "";
  const nodes: NodeState[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // The data is thrown away: no graceful Raft shutdown needed.
      await Promise.all(nodes.map((n) => n.proc.stop(0)));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    })();
    return stopped;
  };

  const spawnNode = async (index: number): Promise<NodeState> => {
    const nodeDir = `${dir}/${nodeId(index)}`;
    await Deno.mkdir(`${nodeDir}/raft`, { recursive: true });
    const configFile = `${nodeDir}/config.hcl`;
    await Deno.writeTextFile(configFile, nodeConfig(index, ports, `${nodeDir}/raft`));
    const proc = spawnBao(binary, ["server", `-config=${configFile}`], {});
    const address = `http://127.0.0.1:${ports[index]!.api}`;
    let admin = adminClient(address, rootToken);
    return {
      index,
      address,
      clusterAddress: `https://127.0.0.1:${ports[index]!.cluster}`,
      get admin() {
        if (admin.rootToken !== rootToken) admin = adminClient(address, rootToken);
        return admin;
      },
      pid: proc.pid,
      get alive() {
        return !proc.hasExited();
      },
      output: proc.output,
      proc,
    };
  };

  const deadline = AbortSignal.any([
    AbortSignal.timeout(startTimeoutMs),
    ...(signal ? [signal] : []),
  ]);
  let unsealKey = "";
  let step = "start the servers";
  try {
    for (let index = 0; index < count; index++) nodes.push(await spawnNode(index));
    const first = nodes[0]!;
    await waitFor(
      async () => {
        const res = await first.admin.api("GET", "sys/health", { token: null, signal: deadline });
        return res.status === 501; // not initialised
      },
      deadline,
      first.proc,
    );

    step = `initialise ${nodeId(0)}`;
    const init = await first.admin.api("PUT", "sys/init", {
      token: null,
      body: { secret_shares: 1, secret_threshold: 1 },
      signal: deadline,
    });
    if (init.status !== 200) throw apiError("PUT", "sys/init", init);
    unsealKey = String(init.body.keys_base64[0]);
    rootToken = String(init.body.root_token);

    step = `unseal ${nodeId(0)}`;
    await unsealUntilOpen(first, unsealKey, deadline);
    step = `wait until ${nodeId(0)} is active`;
    await waitFor(
      async () => (await health(first, deadline))?.status === 200,
      deadline,
      first.proc,
    );

    step = "lower autopilot's server_stabilization_time";
    const config = await first.admin.api("POST", "sys/storage/raft/autopilot/configuration", {
      body: { server_stabilization_time: `${STABILIZATION_SECONDS}s` },
      signal: deadline,
    });
    if (config.status !== 204 && config.status !== 200) {
      throw apiError("POST", "sys/storage/raft/autopilot/configuration", config);
    }

    // With Shamir a joiner needs the unseal key to answer the leader's join challenge.
    step = "unseal the joiners";
    await Promise.all(nodes.slice(1).map((node) => unsealUntilOpen(node, unsealKey, deadline)));
    step = "wait until the joiners are standbys";
    await Promise.all(
      nodes.slice(1).map((node) =>
        waitFor(async () => (await health(node, deadline))?.status === 429, deadline, node.proc)
      ),
    );

    step = "enable KV v2 at secret/";
    await first.admin.enableKv("secret", 2);

    step = "wait until autopilot reports every server a healthy voter";
    let lastState = "";
    try {
      await waitFor(
        async () => {
          const res = await first.admin.api("GET", "sys/storage/raft/autopilot/state", {
            signal: deadline,
          });
          lastState = JSON.stringify(res.body?.data ?? res.body);
          return res.status === 200 && allVoters(res.body?.data, count);
        },
        deadline,
        first.proc,
      );
    } catch (error) {
      throw new Error(`last autopilot state: ${lastState}`, { cause: error });
    }

    step = "check the version";
    const final = await health(first, deadline);
    const version = String(final?.body?.version ?? "");
    if (version !== expectedVersion) {
      throw new Error(
        `sys/health reports version "${version}" but \`${binary} version\` says "${expectedVersion}"`,
      );
    }
    return makeCluster({
      nodes,
      rootToken,
      unsealKey,
      version,
      binary,
      stop,
      startMs: performance.now() - started,
    });
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new OpenBaoStartError(
      `Cannot start a ${count}-node OpenBao cluster from "${binary}": cannot ${step}: ${reason}`,
      nodes.map((n) => `--- ${nodeId(n.index)} (${n.address}) ---\n${n.output()}`).join("\n"),
      { cause: error },
    );
  }
}

// deno-lint-ignore no-explicit-any
function allVoters(state: any, count: number): boolean {
  if (state?.healthy !== true || typeof state.servers !== "object") return false;
  const servers = Object.values(state.servers) as Array<{ healthy?: boolean; status?: string }>;
  return servers.length === count &&
    servers.every((s) => s.healthy === true && (s.status === "voter" || s.status === "leader"));
}

function apiError(method: string, path: string, res: ApiResponse): OpenBaoApiError {
  return new OpenBaoApiError(method, path, res.status, res.body?.errors);
}

/** sys/health of a node, or undefined when it does not answer. */
async function health(
  node: OpenBaoClusterNode,
  signal: AbortSignal,
): Promise<ApiResponse | undefined> {
  try {
    return await node.admin.api("GET", "sys/health", {
      token: null,
      signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]),
    });
  } catch {
    signal.throwIfAborted();
    return undefined;
  }
}

/**
 * Sends the unseal key until the node reports unsealed. A joiner answers 400 "not initialized"
 * until its retry_join (every 2 s) has fetched the leader's challenge.
 */
async function unsealUntilOpen(
  node: NodeState,
  key: string,
  signal: AbortSignal,
): Promise<void> {
  let last = "";
  try {
    await waitFor(
      async () => {
        const res = await node.admin.api("PUT", "sys/unseal", {
          token: null,
          body: { key },
          signal,
        });
        last = `${res.status} ${JSON.stringify(res.body)}`;
        return res.status === 200 && res.body?.sealed === false;
      },
      signal,
      node.proc,
    );
  } catch (error) {
    throw new Error(`${nodeId(node.index)} is still sealed (last sys/unseal: ${last})`, {
      cause: error,
    });
  }
}

interface ClusterParts {
  nodes: NodeState[];
  rootToken: string;
  unsealKey: string;
  version: string;
  binary: string;
  startMs: number;
  stop: () => Promise<void>;
}

function makeCluster(parts: ClusterParts): OpenBaoCluster {
  const { nodes, unsealKey, stop } = parts;
  const own = (node: OpenBaoClusterNode): NodeState => {
    const state = nodes[node.index];
    if (state === undefined || state.address !== node.address) {
      throw new TypeError(`Node ${node.address} is not part of this cluster`);
    }
    return state;
  };
  return {
    nodes,
    rootToken: parts.rootToken,
    unsealKey,
    version: parts.version,
    binary: parts.binary,
    startMs: parts.startMs,
    async leader(options = {}) {
      const signal = AbortSignal.any([
        AbortSignal.timeout(10_000),
        ...(options.signal ? [options.signal] : []),
      ]);
      const live = nodes.filter((n) => n.alive);
      const answers = await Promise.all(live.map((n) => health(n, signal)));
      const active = live.filter((_, i) => answers[i]?.status === 200);
      const summary = live.map((n, i) => `${nodeId(n.index)}: ${answers[i]?.status ?? "no answer"}`)
        .join(", ");
      if (active.length !== 1) {
        throw new Error(`Cannot find the leader: ${active.length} active nodes (${summary})`);
      }
      const node = active[0]!;
      const leader = await node.admin.api("GET", "sys/leader", { token: null, signal });
      if (leader.body?.is_self !== true) {
        throw new Error(
          `Cannot find the leader: ${nodeId(node.index)} is active by sys/health but sys/leader ` +
            `says ${JSON.stringify(leader.body)}`,
        );
      }
      return node;
    },
    async waitForLeader(options = {}) {
      const { not, timeoutMs = 30_000 } = options;
      const controller = new AbortController();
      const signal = AbortSignal.any([
        controller.signal,
        AbortSignal.timeout(timeoutMs),
        ...(options.signal ? [options.signal] : []),
      ]);
      const candidates = nodes.filter((n) => n.alive && n.index !== not?.index);
      if (candidates.length === 0) throw new Error("Cannot wait for a leader: no live candidate");
      // One poller per node, so a node that hangs does not delay seeing another one active.
      const poll = async (node: NodeState): Promise<NewLeader> => {
        while (true) {
          signal.throwIfAborted();
          if (!node.alive) throw new Error(`${nodeId(node.index)} exited`);
          const res = await health(node, signal);
          if (res?.status === 200) return { node, activeAt: performance.now() };
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      try {
        return await Promise.any(candidates.map(poll));
      } catch (error) {
        const states = await Promise.all(
          nodes.map(async (n) =>
            `${nodeId(n.index)}: ${
              n.alive
                ? (await health(n, AbortSignal.timeout(2_000)))?.status ?? "no answer"
                : "dead"
            }`
          ),
        );
        throw new Error(
          `No new leader within ${timeoutMs} ms (${states.join(", ")})`,
          { cause: error },
        );
      } finally {
        controller.abort();
      }
    },
    async kill(node, signal = "SIGKILL") {
      const { proc } = own(node);
      proc.kill(signal);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const status = await Promise.race([
        proc.exited,
        new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 10_000)),
      ]);
      clearTimeout(timer);
      if (status === undefined) {
        throw new Error(
          `${nodeId(node.index)} (pid ${proc.pid}) did not exit within 10 s of ${signal}`,
        );
      }
      return status;
    },
    async seal(node) {
      const res = await own(node).admin.api("PUT", "sys/seal");
      if (res.status !== 204 && res.status !== 200) throw apiError("PUT", "sys/seal", res);
    },
    async unseal(node) {
      const state = own(node);
      const signal = AbortSignal.timeout(30_000);
      await unsealUntilOpen(state, unsealKey, signal);
      await waitFor(
        async () => {
          const status = (await health(state, signal))?.status;
          return status === 200 || status === 429;
        },
        signal,
        state.proc,
      );
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
