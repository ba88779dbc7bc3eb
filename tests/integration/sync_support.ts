/**
 * Helpers shared by the sync engine's integration tests (`sync_*_test.ts`) and the measurements in
 * `bench/sync_*.ts`: counting server-side reads from an audit log, checking captured output for
 * leaked values, and bounded real sleeps (these tests run real processes, so time is real).
 *
 * @module
 */
import { AssertionError } from "../support/assert.ts";
import { configHead } from "../support/config_yaml.ts";
import { readIfExists, type Sidecar } from "../support/sidecar.ts";

export * from "../support/assert.ts";

export { pollUntil, sleep } from "../support/poll.ts";

/** One parsed audit line of OpenBao's file audit device. */
interface AuditLine {
  type?: string;
  /** RFC 3339 time the server logged the request. */
  time?: string;
  request?: { path?: string; operation?: string };
  error?: string;
}

/** The request lines of an audit log, parsed. */
export async function auditRequests(file: string): Promise<AuditLine[]> {
  const text = (await readIfExists(file)) ?? "";
  return text.split("\n").flatMap((line) => {
    if (!line) return [];
    try {
      const entry = JSON.parse(line) as AuditLine;
      return entry.type === "request" ? [entry] : [];
    } catch {
      return []; // a line still being written
    }
  });
}

/** How many `read` requests on `path` (e.g. "secret/data/app/db") the audit log holds. */
export async function auditReads(file: string, path: string): Promise<number> {
  return (await auditRequests(file)).filter((e) =>
    e.request?.path === path && e.request.operation === "read"
  ).length;
}

/** Asserts that none of `values` (seeded secrets, tokens) appears in the sidecar's output. */
export function assertNoLeaks(sidecar: Pick<Sidecar, "stdout" | "stderr">, values: string[]) {
  const output = sidecar.stdout() + sidecar.stderr();
  for (const value of values) {
    if (value.length >= 6 && output.includes(value)) {
      throw new AssertionError(
        `A seeded value or token (${value.length} chars, starting "${
          value.slice(0, 3)
        }…") appears in the sidecar's output`,
      );
    }
  }
}

/**
 * The head of a config for secrets appended as YAML text (`storeYaml() + "  - name: …"`): token
 * auth from the env, no metrics port. New tests build the whole config with `configYaml()`.
 */
export function storeYaml(): string {
  return configHead();
}
