import {
  assert,
  assertEquals,
  assertFalse,
  assertStringIncludes,
  assertThrows,
} from "../support/assert.ts";
import { getLogger } from "@logtape/logtape";
import { parseLogLevel, resetLogging, setupLogging } from "../../src/observe/logging.ts";
import { Redactor } from "../../src/observe/redactor.ts";

const SECRET = "s3cr3t-Pa55w0rd-value";

async function capture(
  level: "debug" | "info" | "warning" | "error",
  format: "json" | "pretty" = "json",
): Promise<{ lines: string[]; redactor: Redactor }> {
  const lines: string[] = [];
  const redactor = new Redactor();
  redactor.register(SECRET);
  await setupLogging({ level, format, redactor, write: (line) => lines.push(line) });
  return { lines, redactor };
}

Deno.test("setupLogging() writes one JSON object per record with the documented fields", async () => {
  const { lines } = await capture("info");
  try {
    getLogger(["secrets-sync", "sync"]).info("Synced secret {secret}", {
      secret: "db",
      durationMs: 12,
    });
  } finally {
    await resetLogging();
  }
  assertEquals(lines.length, 1);
  const entry = JSON.parse(lines[0]!);
  assertEquals(entry.level, "info");
  assertEquals(entry.logger, "secrets-sync.sync");
  assertEquals(entry.message, 'Synced secret "db"');
  assertEquals(entry.properties, { secret: "db", durationMs: 12 });
  assert(!Number.isNaN(Date.parse(entry.timestamp)));
});

Deno.test("setupLogging() masks a registered value in message, properties, nested objects and error causes at debug level", async () => {
  const { lines } = await capture("debug");
  try {
    const log = getLogger(["secrets-sync", "vault"]);
    const cause = new Error(`upstream said ${SECRET}`);
    const error = new TypeError(`Cannot render template: ${SECRET} is not a map`, { cause });
    log.debug(`read value ${SECRET}`);
    log.debug("Rendered {secret}: {preview}", { secret: "db", preview: `x=${SECRET}` });
    log.error("Cannot sync secret {secret}", {
      secret: "db",
      nested: { deeper: [{ text: `prefix ${SECRET} suffix` }], map: new Map([["k", SECRET]]) },
      error,
    });
    log.info("template {*}", { detail: SECRET });
  } finally {
    await resetLogging();
  }
  assertEquals(lines.length, 4);
  for (const line of lines) {
    assertFalse(line.includes(SECRET), line);
    assertFalse(line.includes(btoa(SECRET).replace(/=+$/, "")), line);
    JSON.parse(line);
  }
  const entries = lines.map((line) => JSON.parse(line));
  assertEquals(entries[0].message, "read value [REDACTED]");
  assertEquals(entries[1].message, `Rendered "db": "x=[REDACTED]"`);
  assertEquals(entries[2].properties.nested.deeper[0].text, "prefix [REDACTED] suffix");
  assertEquals(entries[2].properties.nested.map.k, "[REDACTED]");
  assertEquals(entries[2].properties.error.name, "TypeError");
  assertEquals(
    entries[2].properties.error.message,
    "Cannot render template: [REDACTED] is not a map",
  );
  assertEquals(entries[2].properties.error.cause.message, "upstream said [REDACTED]");
  assertStringIncludes(entries[2].properties.error.stack, "[REDACTED]");
});

Deno.test("setupLogging() masks properties with sensitive names even when their value was never registered", async () => {
  const { lines } = await capture("debug");
  try {
    getLogger(["secrets-sync", "auth"]).debug("Logged in with {client_token}", {
      client_token: "hvs.unregistered-token",
      secret_id: "unregistered-secret-id",
      roleId: "unregistered-role-id",
      tokenFile: "/run/token",
      secret: "db",
    });
  } finally {
    await resetLogging();
  }
  const line = lines[0]!;
  for (
    const leaked of ["hvs.unregistered-token", "unregistered-secret-id", "unregistered-role-id"]
  ) {
    assertFalse(line.includes(leaked), line);
  }
  const entry = JSON.parse(line);
  assertEquals(entry.message, "Logged in with [REDACTED]");
  assertEquals(entry.properties.client_token, "[REDACTED]");
  assertEquals(entry.properties.secret_id, "[REDACTED]");
  assertEquals(entry.properties.tokenFile, "/run/token");
  assertEquals(entry.properties.secret, "db");
});

Deno.test("setupLogging() drops records below the configured level", async () => {
  const { lines } = await capture("warning");
  try {
    const log = getLogger(["secrets-sync", "sync"]);
    log.debug("hidden");
    log.info("hidden");
    log.warn("shown");
    log.error("shown too");
  } finally {
    await resetLogging();
  }
  assertEquals(lines.map((line) => JSON.parse(line).level), ["warning", "error"]);
});

Deno.test("setupLogging() in pretty format writes a redacted human-readable line", async () => {
  const { lines } = await capture("info", "pretty");
  try {
    getLogger(["secrets-sync", "sink"]).info("Wrote {path}", {
      path: "/secrets/db.env",
      secret: "db",
      leaked: SECRET,
    });
  } finally {
    await resetLogging();
  }
  assertEquals(lines.length, 1);
  assertFalse(lines[0]!.includes(SECRET));
  assertStringIncludes(
    lines[0]!,
    'INFO  sink: Wrote "/secrets/db.env" path=/secrets/db.env secret=db leaked=[REDACTED]',
  );
});

Deno.test("setupLogging() ignores loggers outside the secrets-sync category", async () => {
  const { lines } = await capture("debug");
  try {
    getLogger(["someone-else"]).error("not ours");
  } finally {
    await resetLogging();
  }
  assertEquals(lines, []);
});

Deno.test("setupLogging() rejects an unknown level", async () => {
  let error: unknown;
  try {
    await setupLogging({
      // @ts-expect-error: deliberately invalid
      level: "verbose",
      format: "json",
      redactor: new Redactor(),
    });
  } catch (e) {
    error = e;
  }
  assert(error instanceof RangeError);
});

Deno.test("parseLogLevel() maps LOG_LEVEL values onto LogTape levels", () => {
  assertEquals(parseLogLevel("debug"), "debug");
  assertEquals(parseLogLevel("INFO"), "info");
  assertEquals(parseLogLevel("warn"), "warning");
  assertEquals(parseLogLevel("warning"), "warning");
  assertEquals(parseLogLevel(" error "), "error");
  assertThrows(() => parseLogLevel("trace"), RangeError);
});

Deno.test("setupLogging() writes JSON lines to stdout by default", async () => {
  const child = new URL("./_logging_child.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", config, child],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assertEquals(code, 0);
  const text = new TextDecoder().decode(stdout);
  assertFalse(text.includes("child-secret-value"));
  const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line));
  assertEquals(lines.map((l) => l.message), [0, 1, 2].map((i) => `Line ${i} holds [REDACTED]`));
});

Deno.test("setupLogging() keeps every line valid JSON when registered values are numbers or span fields", async () => {
  const lines: string[] = [];
  const redactor = new Redactor();
  redactor.registerAll({ port: 54321 });
  redactor.register('db","level');
  await setupLogging({ level: "info", format: "json", redactor, write: (l) => lines.push(l) });
  try {
    const log = getLogger(["secrets-sync", "sync"]);
    log.info("Connected", { port: 54321, other: 7 });
    log.info("Synced secret {secret}", { secret: "db", level: "x" });
  } finally {
    await resetLogging();
  }
  const entries = lines.map((line) => JSON.parse(line));
  assertEquals(entries[0].properties, { port: "[REDACTED]", other: 7 });
  assertFalse(lines[1]!.includes('db","level'));
  assertEquals(entries[1].level, "info");
});
