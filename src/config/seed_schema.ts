/**
 * The zod schema of the seed config format (`secretStore` + `settings` + `secrets`), field by
 * field. Scalars arrive as text (see `readYaml`), so numbers and booleans are parsed here; the
 * schema rejects unknown keys with a "did you mean" hint.
 *
 * @module
 */

import { z } from "zod";
import { parseDuration } from "./duration.ts";
import { didYouMean } from "./_suggest.ts";

/**
 * An object schema that reports every unknown key (typo protection). With `extensions`, keys
 * starting with `x-` are allowed and ignored (a place for YAML anchors, as in docker-compose).
 */
function strict<T extends z.core.$ZodLooseShape>(shape: T, options: { extensions?: boolean } = {}) {
  const known = Object.keys(shape);
  return z.looseObject(shape).check(
    z.superRefine((value: Record<string, unknown>, ctx) => {
      for (const key of Object.keys(value)) {
        if (known.includes(key) || (options.extensions && key.startsWith("x-"))) continue;
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `Unknown key "${key}"${didYouMean(key, known)}`,
          params: { target: "key" },
          input: value[key],
        });
      }
    }, {
      when: (payload) =>
        typeof payload.value === "object" && payload.value !== null &&
        !Array.isArray(payload.value),
    }),
  );
}

const text = () => z.string();
const nonEmpty = (what: string) => z.string().min(1, { error: `${what} must not be empty` });

function bool() {
  return z.union([z.boolean(), z.string()]).transform((value, ctx) => {
    if (typeof value === "boolean") return value;
    const lower = value.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
    ctx.issues.push({
      code: "custom",
      message: `Expected true or false, got "${value}"`,
      input: value,
    });
    return z.NEVER;
  });
}

function numberFrom(kind: "integer" | "number") {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const n = typeof value === "number" ? value : value.trim() === "" ? NaN : Number(value);
    if (!Number.isFinite(n) || (kind === "integer" && !Number.isInteger(n))) {
      ctx.issues.push({
        code: "custom",
        message: `Expected ${kind === "integer" ? "an integer" : "a number"}, got "${value}"`,
        input: value,
      });
      return z.NEVER;
    }
    return n;
  });
}

function int(min: number, max: number) {
  return numberFrom("integer").pipe(
    z.number().min(min, { error: `Must be at least ${min}` }).max(max, {
      error: `Must be at most ${max}`,
    }),
  );
}

/** A Go duration string → milliseconds. */
function duration() {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    if (typeof value === "number" || /^\d+(\.\d+)?$/.test(value.trim())) {
      if (Number(value) === 0) return 0;
      ctx.issues.push({
        code: "custom",
        message: `Invalid duration "${value}": missing unit, e.g. "${value}s" (units: ms, s, m, h)`,
        input: value,
      });
      return z.NEVER;
    }
    try {
      return parseDuration(value);
    } catch (error) {
      ctx.issues.push({ code: "custom", message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });
}

/** A closed set of words; the message lists them and suggests the closest. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string().transform((value, ctx) => {
    if ((values as readonly string[]).includes(value)) return value as T[number];
    ctx.issues.push({
      code: "custom",
      message: `Invalid value "${value}": expected ${values.map((v) => `"${v}"`).join(", ")}${
        didYouMean(value, values)
      }`,
      input: value,
    });
    return z.NEVER;
  });
}

const kvVersion = () =>
  z.string().transform((value, ctx): 1 | 2 | "auto" => {
    const v = value.toLowerCase();
    if (v === "v1" || v === "1") return 1;
    if (v === "v2" || v === "2") return 2;
    if (v === "auto") return "auto";
    ctx.issues.push({
      code: "custom",
      message: `Invalid kvVersion "${value}": expected "v1", "v2" or "auto"`,
      input: value,
    });
    return z.NEVER;
  });

/** Fields shared by `secretStore` (the default credentials) and named credential sets. */
const authFields = {
  authMethod: oneOf(["token", "approle", "jwt", "kubernetes"]).optional(),
  token: text().optional(),
  tokenFile: nonEmpty("tokenFile").optional(),
  roleId: text().optional(),
  roleIdFile: nonEmpty("roleIdFile").optional(),
  secretId: text().optional(),
  secretIdFile: nonEmpty("secretIdFile").optional(),
  secretIdWrapped: bool().optional(),
  authMount: nonEmpty("authMount").optional(),
  role: nonEmpty("role").optional(),
  jwtFile: nonEmpty("jwtFile").optional(),
};

/** A named credential set under `secretStore.credentials`. */
export const credentialSetSchema = strict(authFields);

/** `secretStore`: connection, default credentials, store-wide defaults, TLS. */
export const secretStoreSchema = strict({
  address: z.union([
    text(),
    z.array(nonEmpty("address")).min(1, { error: "Give at least one address" }),
  ], { error: "Expected an address or a list of addresses" }).optional(),
  namespace: text().optional(),
  ...authFields,
  credentials: z.record(z.string(), credentialSetSchema).optional(),
  kvVersion: kvVersion().optional(),
  mountPath: nonEmpty("mountPath").optional(),
  tlsCACert: nonEmpty("tlsCACert").optional(),
  tlsCAPath: nonEmpty("tlsCAPath").optional(),
  tlsClientCert: nonEmpty("tlsClientCert").optional(),
  tlsClientKey: nonEmpty("tlsClientKey").optional(),
  tlsServerName: nonEmpty("tlsServerName").optional(),
  tlsSkipVerify: bool().optional(),
  requestTimeout: duration().optional(),
  maxResponseBytes: int(1024, 1024 ** 3).optional(),
});

/** `settings`: process-level options (each also settable by an environment variable). */
export const settingsSchema = strict({
  logLevel: oneOf(["debug", "info", "warn", "warning", "error"]).optional(),
  logFormat: oneOf(["json", "pretty", "text"]).optional(),
  metrics: strict({
    enabled: bool().optional(),
    addr: nonEmpty("addr").optional(),
    port: int(1, 65535).optional(),
  }).optional(),
  statusFile: nonEmpty("statusFile").optional(),
  watch: bool().optional(),
  concurrency: int(1, 1024).optional(),
  circuitBreaker: strict({
    maxFailures: int(1, 1_000_000).optional(),
    maxRequests: int(1, 1_000_000).optional(),
    interval: duration().optional(),
    timeout: duration().optional(),
  }).optional(),
  backoff: strict({
    initial: duration().optional(),
    max: duration().optional(),
    multiplier: numberFrom("number").pipe(
      z.number().min(1, { error: "Must be at least 1" }).max(100, { error: "Must be at most 100" }),
    ).optional(),
  }).optional(),
});

/** One `onChange` hook: exactly one of `command`, `signal`, `http`. */
export const hookSchema = strict({
  command: z.array(nonEmpty("command")).min(1, { error: "Give the program and its arguments" })
    .optional(),
  signal: strict({
    pidFile: nonEmpty("pidFile"),
    signal: nonEmpty("signal").optional(),
  }).optional(),
  http: strict({
    url: nonEmpty("url"),
    method: nonEmpty("method").optional(),
    timeout: duration().optional(),
  }).optional(),
  timeout: duration().optional(),
});

/** One output file. */
export const fileSchema = strict({
  path: nonEmpty("path"),
  template: nonEmpty("template").optional(),
  mode: z.union([z.string(), z.number()]).optional(),
  owner: nonEmpty("owner").optional(),
  group: nonEmpty("group").optional(),
  writeMode: oneOf(["rename", "inplace"]).optional(),
  createDirs: bool().optional(),
});

/** One entry of `secrets`. */
export const secretSchema = strict({
  name: nonEmpty("name"),
  key: nonEmpty("key").optional(),
  path: nonEmpty("path").optional(),
  mountPath: nonEmpty("mountPath").optional(),
  kvVersion: kvVersion().optional(),
  namespace: text().optional(),
  credentials: nonEmpty("credentials").optional(),
  version: int(1, Number.MAX_SAFE_INTEGER).optional(),
  refreshInterval: duration().optional(),
  jitter: numberFrom("number").pipe(
    z.number().min(0, { error: "Must be at least 0" }).max(0.5, { error: "Must be at most 0.5" }),
  ).optional(),
  maxStaleness: duration().optional(),
  missingKey: oneOf(["error", "default", "zero"]).optional(),
  onMissing: oneOf(["keep", "delete"]).optional(),
  deleteOnRemove: bool().optional(),
  revokeOnStop: bool().optional(),
  template: strict({
    data: z.record(z.string(), z.string()),
  }),
  files: z.array(fileSchema).min(1, { error: "Give at least one file" }),
  onChange: z.array(hookSchema).optional(),
});

/** The top level: its sections are validated one by one so one bad secret hides no other. */
export const seedTopSchema = strict({
  secretStore: z.unknown().optional(),
  settings: z.unknown().optional(),
  secrets: z.array(z.unknown()).min(1, { error: "Give at least one secret" }).max(10_000, {
    error: "Too many secrets: at most 10000",
  }),
}, { extensions: true });

export type SecretStoreInput = z.output<typeof secretStoreSchema>;
export type CredentialSetInput = z.output<typeof credentialSetSchema>;
export type SettingsInput = z.output<typeof settingsSchema>;
export type SecretInput = z.output<typeof secretSchema>;
export type FileInput = z.output<typeof fileSchema>;
export type HookInput = z.output<typeof hookSchema>;
