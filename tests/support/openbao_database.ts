/**
 * OpenBao's `database` secrets engine wired to a real PostgreSQL from {@linkcode startPostgres}:
 * one mount, one connection (`postgresql-database-plugin`, checked by connecting), one dynamic
 * role whose credentials are real PostgreSQL roles.
 *
 * @example
 * ```ts
 * await using pg = await startPostgres({ binaries });
 * await using bao = await startOpenBao();
 * const engine = await configureDatabaseEngine(bao, pg, { defaultTtl: "1m", maxTtl: "2m" });
 * const creds = await readDatabaseCreds(bao, engine);
 * await pg.query("SELECT current_user", { as: creds });
 * ```
 *
 * @module
 */
import { type OpenBaoAdmin, OpenBaoApiError } from "./openbao.ts";
import type { Postgres } from "./postgres.ts";

/**
 * The role's default creation statements: a login role with the generated password that
 * PostgreSQL itself stops accepting at the lease's expiry (`VALID UNTIL`), allowed to read.
 */
export const DEFAULT_CREATION_STATEMENTS: readonly string[] = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
  `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
];

/** The role's default revocation statements: the role is dropped. */
export const DEFAULT_REVOCATION_STATEMENTS: readonly string[] = [
  `REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM "{{name}}";`,
  `DROP ROLE IF EXISTS "{{name}}";`,
];

/** Options for {@linkcode configureDatabaseEngine}. */
export interface ConfigureDatabaseEngineOptions {
  /** Where the engine is enabled. @default "database" */
  mount?: string;
  /** Name of the connection (`<mount>/config/<connection>`). @default "postgres" */
  connection?: string;
  /** Name of the dynamic role (`<mount>/creds/<role>`). @default "app" */
  role?: string;
  /** The role's `default_ttl` (seconds or a duration string). @default "1h" */
  defaultTtl?: string | number;
  /** The role's `max_ttl`. @default "24h" */
  maxTtl?: string | number;
  /** @default DEFAULT_CREATION_STATEMENTS */
  creationStatements?: readonly string[];
  /** @default DEFAULT_REVOCATION_STATEMENTS */
  revocationStatements?: readonly string[];
  /** Run on renewal; empty uses the plugin's `ALTER ROLE … VALID UNTIL`. @default [] */
  renewStatements?: readonly string[];
  /** Let OpenBao connect while it writes the connection. @default true */
  verifyConnection?: boolean;
  /** The plugin's `username_template`. @default the plugin's `v-<display>-<role>-<random>-<time>` */
  usernameTemplate?: string;
  signal?: AbortSignal;
}

/** What {@linkcode configureDatabaseEngine} set up. */
export interface DatabaseEngine {
  mount: string;
  connection: string;
  role: string;
  /** `<mount>/creds/<role>`: GET it for new credentials. */
  credsPath: string;
}

/** Credentials from `GET <mount>/creds/<role>`, with their lease. */
export interface DatabaseCreds {
  /** The PostgreSQL role name (also `user`, so the value logs in with `pg.query`). */
  username: string;
  user: string;
  password: string;
  leaseId: string;
  /** Seconds. */
  leaseDuration: number;
  renewable: boolean;
}

/**
 * Enables the `database` engine on `mount`, writes the connection to `db` (the superuser's login,
 * `verify_connection` on) and a dynamic role. Needs --allow-net.
 * @throws {OpenBaoApiError} when OpenBao refuses a step (e.g. it cannot connect to `db`)
 */
export async function configureDatabaseEngine(
  admin: OpenBaoAdmin,
  db: Postgres,
  options: ConfigureDatabaseEngineOptions = {},
): Promise<DatabaseEngine> {
  const {
    mount = "database",
    connection = "postgres",
    role = "app",
    defaultTtl = "1h",
    maxTtl = "24h",
    creationStatements = DEFAULT_CREATION_STATEMENTS,
    revocationStatements = DEFAULT_REVOCATION_STATEMENTS,
    renewStatements = [],
    verifyConnection = true,
    usernameTemplate,
    signal,
  } = options;
  for (const [name, value] of Object.entries({ mount, connection, role })) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) {
      throw new TypeError(`Option ${name} must be a plain path segment, got "${value}"`);
    }
  }
  const must = async (method: string, path: string, body: unknown) => {
    const res = await admin.api(method, path, { body, ...(signal ? { signal } : {}) });
    if (res.status !== 200 && res.status !== 204) {
      throw new OpenBaoApiError(method, path, res.status, res.body?.errors);
    }
  };
  await must("POST", `sys/mounts/${mount}`, { type: "database" });
  await must("PUT", `${mount}/config/${connection}`, {
    plugin_name: "postgresql-database-plugin",
    connection_url: db.connectionUrl,
    username: db.superuser,
    password: db.password,
    verify_connection: verifyConnection,
    allowed_roles: [role],
    ...(usernameTemplate === undefined ? {} : { username_template: usernameTemplate }),
  });
  await must("PUT", `${mount}/roles/${role}`, {
    db_name: connection,
    default_ttl: defaultTtl,
    max_ttl: maxTtl,
    creation_statements: creationStatements,
    revocation_statements: revocationStatements,
    renew_statements: renewStatements,
  });
  return { mount, connection, role, credsPath: `${mount}/creds/${role}` };
}

/**
 * Issues new credentials (`GET <mount>/creds/<role>`). Needs --allow-net.
 * @throws {OpenBaoApiError} when OpenBao answers anything but 200
 */
export async function readDatabaseCreds(
  admin: OpenBaoAdmin,
  engine: DatabaseEngine,
  options: { token?: string; signal?: AbortSignal } = {},
): Promise<DatabaseCreds> {
  const res = await admin.api("GET", engine.credsPath, options);
  if (res.status !== 200) {
    throw new OpenBaoApiError("GET", engine.credsPath, res.status, res.body?.errors);
  }
  const { data, lease_id, lease_duration, renewable } = res.body;
  return {
    username: String(data.username),
    user: String(data.username),
    password: String(data.password),
    leaseId: String(lease_id),
    leaseDuration: Number(lease_duration),
    renewable: Boolean(renewable),
  };
}
