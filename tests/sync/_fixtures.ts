import type { Plan, SecretPlan, SettingsPlan } from "../../src/config/plan.ts";

/** A SecretPlan with test defaults; override what the test is about. */
export function secretPlan(overrides: Partial<SecretPlan> = {}): SecretPlan {
  const plan: SecretPlan = {
    name: "app",
    key: "app/db",
    mountPath: "secret",
    kvVersion: 2,
    credentials: "default",
    refreshIntervalMs: 10_000,
    jitter: 0,
    maxStalenessMs: 30_000,
    templates: [{ name: "db.env", source: "PASSWORD={{ .password }}\n" }],
    files: [{
      path: "/tmp/never-written/db.env",
      template: "db.env",
      mode: 0o600,
      writeMode: "rename",
      createDirs: false,
    }],
    missingKey: "error",
    onMissing: "keep",
    deleteOnRemove: false,
    onChange: [],
    revokeOnStop: false,
  };
  return Object.assign(plan, overrides);
}

/** The lease calls of a reader that never makes them (KV-only unit tests). */
export const NO_LEASE_CALLS = {
  writePath: () => Promise.reject(new Error("writePath not expected")),
  renewLease: () => Promise.reject(new Error("renewLease not expected")),
  revokeLease: () => Promise.reject(new Error("revokeLease not expected")),
};

/** A Plan with test defaults (token auth, metrics off, no watch); override what the test is about. */
export function testPlan(
  secrets: SecretPlan[],
  settings: Partial<SettingsPlan> = {},
  overrides: Partial<Plan> = {},
): Plan {
  return {
    file: "/tmp/never-read/config.yaml",
    store: {
      addresses: ["http://127.0.0.1:1"],
      tls: { skipVerify: false },
      requestTimeoutMs: 1_000,
      maxResponseBytes: 1024 * 1024,
    },
    credentials: { default: { method: "token", token: "test-token" } },
    secrets,
    settings: {
      logLevel: "info",
      logFormat: "json",
      metrics: { enabled: false, addr: "127.0.0.1", port: 0 },
      statusFile: "/tmp/never-written/status",
      watch: false,
      concurrency: 8,
      resilience: {
        initialBackoffMs: 100,
        maxBackoffMs: 1_000,
        backoffMultiplier: 2,
        breakerMaxFailures: 3,
        breakerIntervalMs: 10_000,
        breakerTimeoutMs: 1_000,
      },
      ...settings,
    },
    envUsed: [],
    ...overrides,
  };
}
