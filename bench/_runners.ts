/**
 * The two contenders of `bench/compare.ts`, behind one interface: secrets-sync (the real sidecar,
 * `deno run -P=sidecar src/main.ts run`) and OpenBao Agent (`bao agent`, template mode). Both
 * render the same content for each seeded secret into `<out>/<name>.env`, so the harness checks
 * files without knowing who wrote them.
 *
 * The Agent runner uses `bao agent` of the same real OpenBao binary the dev server runs
 * ({@linkcode openBaoBinary}); {@linkcode agentRunner} reports why when it cannot run.
 *
 * @example
 * ```ts
 * const runner = secretsSyncRunner();
 * await using running = await runner.start({ address, token, dir, out, secrets, intervalSeconds: 10 });
 * console.log(running.pid);
 * ```
 *
 * @module
 */
import { openBaoBinary } from "../tests/support/build_openbao.ts";
import { type LoggedChild, ROOT, sidecarCommand, spawnLogged } from "./_process.ts";

/** One seeded secret: KV v2 path under `secret/` and the fields the file renders. */
export interface SeededSecret {
  /** Short name, also the file name stem: `s0007`. */
  name: string;
  /** Path under the `secret/` KV v2 mount: `bench/s0007`. */
  path: string;
}

/** Everything a runner needs to sync the seeded secrets into files. */
export interface RunSetup {
  address: string;
  token: string;
  /** Scratch directory for configs, token files and logs. */
  dir: string;
  /** Directory the files go to (`<out>/<name>.env`). */
  out: string;
  secrets: SeededSecret[];
  /** Refresh interval (secrets-sync) = static_secret_render_interval (Agent). */
  intervalSeconds: number;
  /** Port for secrets-sync's /metrics (the Agent runner ignores it). */
  metricsPort?: number;
  /** Extra Deno flags for the sidecar, e.g. `--cpu-prof`. */
  denoFlags?: string[];
}

/** A started contender. */
export interface Running extends AsyncDisposable {
  readonly pid: number;
  readonly exited: boolean;
  /** Graceful stop (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

/** A contender the harness can start. */
export interface Runner {
  readonly name: string;
  /** Why it cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  start(setup: RunSetup): Promise<Running>;
}

/** The content both contenders render for a secret with these fields. */
export function expectedContent(fields: { username: string; password: string }): string {
  return `USER=${fields.username}\nPASSWORD=${fields.password}\n`;
}

function wrap(child: LoggedChild): Running {
  return {
    pid: child.pid,
    get exited() {
      return child.exited;
    },
    stop: () => child.stop(),
    [Symbol.asyncDispose]: () => child[Symbol.asyncDispose](),
  };
}

/** secrets-sync's YAML config for the setup. */
export function secretsSyncConfig(setup: RunSetup): string {
  const metrics = setup.metricsPort === undefined
    ? "{ enabled: false }"
    : `{ enabled: true, port: ${setup.metricsPort} }`;
  const secrets = setup.secrets.map((s) =>
    `  - name: ${s.name}
    key: ${s.path}
    refreshInterval: ${setup.intervalSeconds}s
    template: { data: { out: "USER={{ .username }}\\nPASSWORD={{ .password }}\\n" } }
    files: [{ path: ${setup.out}/${s.name}.env }]`
  );
  return `secretStore:
  address: "\${VAULT_ADDR}"
  token: "\${VAULT_TOKEN}"
settings:
  metrics: ${metrics}
secrets:
${secrets.join("\n")}
`;
}

/** The real sidecar, run as users run it. */
export function secretsSyncRunner(): Runner {
  return {
    name: "secrets-sync",
    unavailable: () => Promise.resolve(undefined),
    async start(setup) {
      const config = `${setup.dir}/secrets-sync.yaml`;
      await Deno.writeTextFile(config, secretsSyncConfig(setup));
      const [program, args] = sidecarCommand(
        ["run", "--config", config],
        setup.denoFlags ?? [],
      );
      return wrap(spawnLogged(program, args, {
        log: `${setup.dir}/secrets-sync.log`,
        cwd: ROOT,
        env: {
          VAULT_ADDR: setup.address,
          VAULT_TOKEN: setup.token,
          STATUS_FILE: `${setup.dir}/secrets-sync.ready`,
        },
      }));
    },
  };
}

/** HCL string literal (JSON's escapes are valid HCL; `${` and `%{` would start interpolation). */
function hclString(value: string): string {
  return JSON.stringify(value).replaceAll("${", "$${").replaceAll("%{", "%%{");
}

/**
 * OpenBao Agent's HCL config for the setup: the token from a file (`token_file` auto-auth), one
 * `template` stanza per file in consul-template syntax, re-rendered every interval.
 */
export function agentConfig(setup: RunSetup, tokenFile: string): string {
  const templates = setup.secrets.map((s) => {
    const contents = `{{ with secret "secret/data/${s.path}" }}` +
      `USER={{ .Data.data.username }}\nPASSWORD={{ .Data.data.password }}\n{{ end }}`;
    return `template {
  destination = ${hclString(`${setup.out}/${s.name}.env`)}
  contents = ${hclString(contents)}
  error_on_missing_key = true
}`;
  });
  return `pid_file = ${hclString(`${setup.dir}/agent.pid`)}
exit_after_auth = false

vault {
  address = ${hclString(setup.address)}
}

auto_auth {
  method {
    type = "token_file"
    config = {
      token_file_path = ${hclString(tokenFile)}
    }
  }
}

template_config {
  static_secret_render_interval = "${setup.intervalSeconds}s"
  exit_on_retry_failure = false
}

${templates.join("\n\n")}
`;
}

/**
 * `bao agent` from the binary the dev server runs ({@linkcode openBaoBinary}).
 */
export function agentRunner(binary?: string): Runner {
  let resolved = binary;
  return {
    name: "bao agent",
    async unavailable() {
      try {
        resolved ??= await openBaoBinary();
        const out = await new Deno.Command(resolved, { args: ["version"], stdout: "piped" })
          .output();
        const version = new TextDecoder().decode(out.stdout);
        if (!version.includes("OpenBao")) return `n/a (${resolved} is not OpenBao)`;
        if (!out.success) return `n/a (${resolved} version failed)`;
      } catch (error) {
        return `n/a (no OpenBao binary: ${error instanceof Error ? error.message : error})`;
      }
      return undefined;
    },
    async start(setup) {
      resolved ??= await openBaoBinary();
      const tokenFile = `${setup.dir}/agent.token`;
      await Deno.writeTextFile(tokenFile, setup.token, { mode: 0o600 });
      const config = `${setup.dir}/agent.hcl`;
      await Deno.writeTextFile(config, agentConfig(setup, tokenFile));
      return wrap(spawnLogged(resolved, ["agent", `-config=${config}`], {
        log: `${setup.dir}/agent.log`,
      }));
    },
  };
}
