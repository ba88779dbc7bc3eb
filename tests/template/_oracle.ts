/** Runs the Go oracle (tests/support/gotemplate) on template cases; built into .cache/go/. */
// Loads no library: its importers load what they render with (the guards of libraries_test.ts
// render cases without node-forge, and without node:crypto).
import { bytesValue, GoTime, jsonNumber } from "../../src/template/mod.ts";
import { buildGoProgram } from "../support/go_program.ts";

export interface OracleCase {
  template: string;
  data?: unknown;
  options?: { missingKey?: "default" | "zero" | "error" };
}

export interface OracleResult {
  out?: string;
  err?: string;
}

let built: Promise<string> | undefined;

/** Builds the oracle binary, or reuses the cached build; returns its path. */
export function buildOracle(): Promise<string> {
  built ??= buildGoProgram("gotemplate");
  return built;
}

/** Renders cases with Go. */
export async function runOracle(cases: OracleCase[]): Promise<OracleResult[]> {
  const binary = await buildOracle();
  const child = new Deno.Command(binary, { stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
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
