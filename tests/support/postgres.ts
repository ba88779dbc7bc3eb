/**
 * Starts a real PostgreSQL for integration tests of OpenBao's `database` secrets engine:
 * `await using pg = await startPostgres()`.
 *
 * Each server gets its own temp directory (data dir, unix socket, nothing else), a fresh
 * `initdb` with a random superuser password, and a free loopback TCP port. Every login (TCP and
 * unix socket) needs the password (`scram-sha-256`), so OpenBao's connection and the credentials
 * it generates are really checked. Start-up is tuned for tests (`fsync=off`, 16 MB
 * shared_buffers), which makes the data worthless after a crash: it is removed on dispose, after
 * `pg_ctl stop -m immediate`.
 *
 * PostgreSQL refuses to run as root, so as root `initdb`, `postgres` and `pg_ctl` run as the
 * `postgres` user (or `nobody`) through `setpriv`, which also kills the server when the test
 * process dies (`--pdeathsig`). The binaries come from {@linkcode findPostgres}: PATH, then
 * Debian's `/usr/lib/postgresql/<major>/bin`. A test file calls {@linkcode requirePostgres}
 * first and skips itself (one `SKIP (missing tool: postgres)` line) when it returns undefined.
 *
 * @example
 * ```ts
 * const binaries = await requirePostgres({ test: import.meta.url, skips: "the database tests" });
 * Deno.test({ name: "…", ignore: !binaries }, async () => {
 *   await using pg = await startPostgres({ binaries });
 *   const rows = await pg.query("SELECT current_user");
 *   // rows = [["postgres"]]
 *   await pg.query("SELECT 1", { as: { user: "v-root-app-…", password: "…" } });
 * });
 * ```
 *
 * @module
 */
import { freePort } from "./free_port.ts";
import { spawnCaptured } from "./process.ts";
import { pollUntil } from "./poll.ts";
import { reportSkip, type RequireOptions, toolWorks } from "./requires.ts";

/** Where the PostgreSQL programs were found. */
export interface PostgresBinaries {
  /** Directory of `postgres`, `initdb` and `pg_ctl`, e.g. `/usr/lib/postgresql/15/bin`. */
  binDir: string;
  postgres: string;
  initdb: string;
  pgCtl: string;
  /** The client (from `binDir` when there, else PATH). */
  psql: string;
  /** `postgres --version`'s number, e.g. "15.18". */
  version: string;
}

/** A user name and password to run SQL as. */
export interface PostgresLogin {
  user: string;
  password: string;
}

/** Options for {@linkcode Postgres.query}. */
export interface PostgresQueryOptions {
  /** Log in as this user over TCP. @default the superuser */
  as?: PostgresLogin;
  /** @default "postgres" */
  database?: string;
  signal?: AbortSignal;
}

/** Options for {@linkcode startPostgres}. */
export interface StartPostgresOptions {
  /** @default await findPostgres() */
  binaries?: PostgresBinaries;
  /** Name of the bootstrap superuser. @default "postgres" */
  superuser?: string;
  /** More server settings (`-c name=value`), e.g. `{ log_connections: "on" }`. */
  settings?: Record<string, string>;
  /** Bound on initdb and start-up, ms. @default 30_000 */
  startTimeoutMs?: number;
  /** Aborts start-up (the server is stopped and its directory removed). */
  signal?: AbortSignal;
}

/** A running PostgreSQL server. */
export interface Postgres extends AsyncDisposable {
  /** Always "127.0.0.1". */
  readonly host: string;
  readonly port: number;
  /** The database everything connects to: "postgres". */
  readonly database: string;
  readonly superuser: string;
  /** The superuser's password (random letters and digits). */
  readonly password: string;
  /**
   * The URL OpenBao's `postgresql-database-plugin` connects with, templated:
   * `postgresql://{{username}}:{{password}}@127.0.0.1:<port>/postgres?sslmode=disable`.
   */
  readonly connectionUrl: string;
  /** The temp directory holding `data/` and the unix socket. */
  readonly dir: string;
  readonly pid: number;
  readonly binaries: PostgresBinaries;
  /** How long initdb and start-up took, ms. */
  readonly startMs: number;
  /**
   * Runs `sql` with psql over TCP and returns the rows of its last statement, fields as text
   * (NULL as ""). Needs --allow-run.
   * @throws {PostgresQueryError} when the login or the SQL fails
   */
  query(sql: string, options?: PostgresQueryOptions): Promise<string[][]>;
  /** The server's log so far (stderr): failed logins come with a `DETAIL` line saying why. */
  log(): string;
  /** `pg_ctl stop -m immediate`, then the directory is removed. Idempotent. */
  stop(): Promise<void>;
}

/** psql could not log in or the SQL failed. The message is psql's, which never holds passwords. */
export class PostgresQueryError extends Error {
  override name = "PostgresQueryError";
  constructor(readonly user: string, readonly stderr: string, options?: ErrorOptions) {
    super(`Cannot run SQL as "${user}": ${stderr.trim()}`, options);
  }
}

/** initdb failed, or the server exited or did not accept connections in time. */
export class PostgresStartError extends Error {
  override name = "PostgresStartError";
  constructor(message: string, readonly output: string, options?: ErrorOptions) {
    super(`${message}\n--- server output ---\n${output}`, options);
  }
}

const START_ATTEMPTS = 3;
const INSTALL = "apt-get install postgresql";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The directories to look in: PATH (each `postgres` resolved through its symlinks), then Debian's. */
async function candidateDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    const postgres = `${dir}/postgres`;
    if (!(await isFile(postgres))) continue;
    // Debian links only some programs into PATH (/usr/local/bin/postgres -> /usr/lib/...):
    // the real directory has the others.
    const real = await Deno.realPath(postgres).catch(() => postgres);
    dirs.push(real.slice(0, real.lastIndexOf("/")), dir);
  }
  const debian: { major: number; dir: string }[] = [];
  try {
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      const major = Number(entry.name);
      if (Number.isFinite(major)) {
        debian.push({ major, dir: `/usr/lib/postgresql/${entry.name}/bin` });
      }
    }
  } catch {
    // no Debian packages
  }
  debian.sort((a, b) => b.major - a.major);
  return [...new Set([...dirs, ...debian.map((d) => d.dir)])];
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    if (await isFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/**
 * Finds `postgres`, `initdb`, `pg_ctl` (one directory) and `psql` on PATH or in
 * `/usr/lib/postgresql/<major>/bin` (newest major first); undefined when there are none that run.
 * Needs --allow-env, --allow-read and --allow-run.
 */
export async function findPostgres(): Promise<PostgresBinaries | undefined> {
  for (const binDir of await candidateDirs()) {
    const [postgres, initdb, pgCtl] = ["postgres", "initdb", "pg_ctl"].map((p) => `${binDir}/${p}`);
    if (!(await isFile(postgres!) && await isFile(initdb!) && await isFile(pgCtl!))) continue;
    const psql = await isFile(`${binDir}/psql`) ? `${binDir}/psql` : await onPath("psql");
    if (!psql || !(await toolWorks(psql, ["--version"]))) continue;
    let version: string;
    try {
      const out = await new Deno.Command(postgres!, { args: ["--version"], stderr: "null" })
        .output();
      if (!out.success) continue;
      version = /(\d+(?:\.\d+)+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? "";
    } catch {
      continue;
    }
    return { binDir, postgres: postgres!, initdb: initdb!, pgCtl: pgCtl!, psql, version };
  }
  return undefined;
}

/**
 * {@linkcode findPostgres}, printing the one skip line (`SKIP (missing tool: postgres): …;
 * apt-get install postgresql`) when PostgreSQL is not there, or (as root) `setpriv` is not.
 */
export async function requirePostgres(
  options: RequireOptions,
): Promise<PostgresBinaries | undefined> {
  const binaries = await findPostgres();
  if (!binaries) {
    reportSkip("missing tool: postgres", { ...options, detail: INSTALL });
    return undefined;
  }
  if (Deno.uid() === 0 && !(await toolWorks("setpriv", ["--version"]))) {
    reportSkip("missing tool: setpriv", {
      ...options,
      detail: "apt-get install util-linux (PostgreSQL refuses root: it runs as postgres)",
    });
    return undefined;
  }
  return binaries;
}

/** Letters and digits only: safe in a URL, a pwfile and a shell-free argv. */
function randomPassword(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => alphabet[b % alphabet.length],
  ).join("");
}

interface Owner {
  uid: number;
  gid: number;
}

/** As root: the user the server runs as (`postgres`, else `nobody`); otherwise none. */
async function serverOwner(): Promise<Owner | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const passwd = await Deno.readTextFile("/etc/passwd").catch(() => "");
  const users = new Map(
    passwd.split("\n").map((line) => line.split(":")).filter((f) => f.length >= 4).map((
      f,
    ) => [f[0]!, { uid: Number(f[2]), gid: Number(f[3]) }]),
  );
  return users.get("postgres") ?? users.get("nobody") ?? { uid: 65534, gid: 65534 };
}

/** The command line that runs `program` as `owner` (through setpriv) or as this process. */
function asOwner(owner: Owner | undefined, program: string, args: string[]): [string, string[]] {
  if (!owner) return [program, args];
  return ["setpriv", [
    `--reuid=${owner.uid}`,
    `--regid=${owner.gid}`,
    "--clear-groups",
    // The server dies with the test process instead of outliving a crashed run.
    "--pdeathsig=KILL",
    "--",
    program,
    ...args,
  ]];
}

function childEnv(): Record<string, string> {
  return { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", LC_ALL: "C" };
}

async function run(
  owner: Owner | undefined,
  program: string,
  args: string[],
  signal: AbortSignal,
): Promise<{ success: boolean; output: string }> {
  const [command, argv] = asOwner(owner, program, args);
  const out = await new Deno.Command(command, {
    args: argv,
    clearEnv: true,
    env: childEnv(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).output();
  const dec = new TextDecoder();
  return { success: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/**
 * Runs initdb in a new temp directory and starts `postgres` on a free loopback port; resolves once
 * the superuser can log in over TCP with its password. Needs --allow-run, --allow-read,
 * --allow-write, --allow-env and --allow-net=127.0.0.1.
 * @throws {PostgresStartError} when initdb fails or the server does not come up
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<Postgres> {
  const { superuser = "postgres", settings = {}, startTimeoutMs = 30_000, signal } = options;
  if (!/^[a-z_][a-z0-9_]*$/.test(superuser)) {
    throw new TypeError(
      `Option superuser must be a plain lower-case identifier, got "${superuser}"`,
    );
  }
  if (!(startTimeoutMs > 0)) {
    throw new RangeError(`Option startTimeoutMs must be > 0, got ${startTimeoutMs}`);
  }
  signal?.throwIfAborted();
  const started = performance.now();
  const binaries = options.binaries ?? await findPostgres();
  if (!binaries) throw new Error(`Cannot start PostgreSQL: no postgres found; ${INSTALL}`);
  const deadline = AbortSignal.any([
    AbortSignal.timeout(startTimeoutMs),
    ...(signal ? [signal] : []),
  ]);
  const owner = await serverOwner();
  const dir = await Deno.makeTempDir({ prefix: "postgres-test-" });
  const password = randomPassword();
  try {
    if (owner) await Deno.chown(dir, owner.uid, owner.gid);
    const pwfile = `${dir}/pwfile`;
    await Deno.writeTextFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner) await Deno.chown(pwfile, owner.uid, owner.gid);
    const initdb = await run(owner, binaries.initdb, [
      `--pgdata=${dir}/data`,
      `--username=${superuser}`,
      `--pwfile=${pwfile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--no-locale",
      "--no-sync",
      "--no-instructions",
    ], deadline);
    await Deno.remove(pwfile);
    if (!initdb.success) {
      const why = deadline.aborted ? `: ${deadline.reason}` : "";
      throw new PostgresStartError(`Cannot initdb in "${dir}/data"${why}`, initdb.output);
    }
    let lastError: PostgresStartError | undefined;
    // A port picked free can be taken by another test before the server binds it: try again.
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        return await startOnce({
          binaries,
          owner,
          dir,
          superuser,
          password,
          settings,
          deadline,
          started,
        });
      } catch (error) {
        if (!(error instanceof PostgresStartError) || !/already in use/.test(error.output)) {
          throw error;
        }
        lastError = error;
      }
    }
    throw lastError;
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

interface StartOnce {
  binaries: PostgresBinaries;
  owner: Owner | undefined;
  dir: string;
  superuser: string;
  password: string;
  settings: Record<string, string>;
  deadline: AbortSignal;
  started: number;
}

async function startOnce(start: StartOnce): Promise<Postgres> {
  const { binaries, owner, dir, superuser, password, settings, deadline, started } = start;
  const host = "127.0.0.1";
  const database = "postgres";
  const port = freePort();
  const server: Record<string, string> = {
    listen_addresses: host,
    port: String(port),
    unix_socket_directories: dir,
    // Test data: nothing needs to survive a crash, so skip every flush.
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    shared_buffers: "16MB",
    max_connections: "40",
    ...settings,
  };
  const [command, args] = asOwner(owner, binaries.postgres, [
    "-D",
    `${dir}/data`,
    ...Object.entries(server).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
  ]);
  const proc = spawnCaptured(command, { args, env: childEnv(), timeoutMs: 30_000 });
  let exited = false;
  proc.status.then(() => exited = true);

  const query = async (sql: string, opts: PostgresQueryOptions = {}): Promise<string[][]> => {
    const { as = { user: superuser, password }, database: db = database, signal } = opts;
    const out = await new Deno.Command(binaries.psql, {
      args: [
        "--no-psqlrc",
        "--quiet",
        "--no-align",
        "--tuples-only",
        "--field-separator=\t",
        "--set=ON_ERROR_STOP=1",
        `--host=${host}`,
        `--port=${port}`,
        `--username=${as.user}`,
        `--dbname=${db}`,
        "--no-password",
        `--command=${sql}`,
      ],
      clearEnv: true,
      // The password through the environment, never argv.
      env: {
        ...childEnv(),
        PGPASSWORD: as.password,
        PGCONNECT_TIMEOUT: "5",
        PGSSLMODE: "disable",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: signal ?? AbortSignal.timeout(30_000),
    }).output();
    if (!out.success) {
      throw new PostgresQueryError(as.user, new TextDecoder().decode(out.stderr));
    }
    const text = new TextDecoder().decode(out.stdout).replace(/\n$/, "");
    return text === "" ? [] : text.split("\n").map((line) => line.split("\t"));
  };

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      try {
        if (!exited) {
          await run(
            owner,
            binaries.pgCtl,
            ["stop", `--pgdata=${dir}/data`, "--mode=immediate", "--wait", "--timeout=10"],
            AbortSignal.timeout(15_000),
          ).catch(() => {});
        }
        const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
        try {
          await proc.status;
        } finally {
          clearTimeout(timer);
        }
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    })();
    return stopped;
  };

  try {
    await pollUntil(
      async () => {
        deadline.throwIfAborted();
        try {
          return (await query("SELECT 1", { signal: deadline }))[0]?.[0] === "1";
        } catch (error) {
          if (error instanceof PostgresQueryError) return false;
          throw error;
        }
      },
      "PostgreSQL to accept the superuser's password over TCP",
      { timeoutMs: 30_000, intervalMs: 20, stop: () => exited },
    );
  } catch (error) {
    // The whole log is read below (the retry looks for a taken port): end the server first.
    proc.kill("SIGKILL");
    await proc.status;
    const reason = error instanceof Error ? error.message : String(error);
    throw new PostgresStartError(
      `Cannot start PostgreSQL on port ${port}${exited ? " (it exited)" : ""}: ${reason}`,
      proc.stderr() + proc.stdout(),
      { cause: error },
    );
  }

  return {
    host,
    port,
    database,
    superuser,
    password,
    connectionUrl:
      `postgresql://{{username}}:{{password}}@${host}:${port}/${database}?sslmode=disable`,
    dir,
    pid: proc.pid,
    binaries,
    startMs: performance.now() - started,
    query,
    log: () => proc.stderr() + proc.stdout(),
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
