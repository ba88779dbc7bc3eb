/** Runs the Go oracle (tests/support/gotemplate) on template cases; builds it into .cache/ once. */
import { bytesValue, GoTime, jsonNumber } from "../../src/template/mod.ts";

export interface OracleCase {
  template: string;
  data?: unknown;
  options?: { missingKey?: "default" | "zero" | "error" };
}

export interface OracleResult {
  out?: string;
  err?: string;
}

const ROOT = new URL("../../", import.meta.url).pathname;
const SRC = `${ROOT}tests/support/gotemplate`;
const BIN = `${ROOT}.cache/gotemplate`;

/** Whether `go` is on PATH. */
export async function hasGo(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("go", {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success;
  } catch {
    return false;
  }
}

let built: Promise<void> | undefined;

/** Builds the oracle binary (once per process). */
export function buildOracle(): Promise<void> {
  built ??= (async () => {
    await Deno.mkdir(`${ROOT}.cache`, { recursive: true });
    const { success, stderr } = await new Deno.Command("go", {
      args: ["build", "-o", BIN, "."],
      cwd: SRC,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) {
      throw new Error(`Cannot build the Go oracle: ${new TextDecoder().decode(stderr)}`);
    }
  })();
  return built;
}

/** Renders cases with Go. */
export async function runOracle(cases: OracleCase[]): Promise<OracleResult[]> {
  await buildOracle();
  const child = new Deno.Command(BIN, { stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
  await writer.close();
  const { stdout, stderr, success } = await child.output();
  if (!success) throw new Error(`Go oracle failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** Decodes the oracle's data encodings ($bytes, $number, $int) into engine values. */
export function toEngineData(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toEngineData);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      if (typeof o.$bytes === "string") {
        return bytesValue(Uint8Array.from(atob(o.$bytes), (c) => c.charCodeAt(0)));
      }
      if (typeof o.$number === "string") return jsonNumber(o.$number);
      if (typeof o.$int === "number") return BigInt(o.$int);
      if (typeof o.$time === "string") return new GoTime(Date.parse(o.$time), "UTC");
    }
    return Object.fromEntries(keys.map((k) => [k, toEngineData(o[k])]));
  }
  return v;
}
