import type { SecretPlan } from "../../src/config/plan.ts";

/** A SecretPlan with test defaults; override what the test is about. */
export function secretPlan(overrides: Partial<SecretPlan> = {}): SecretPlan {
  return {
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
    ...overrides,
  };
}
