/**
 * `/metrics` of a real sidecar process that synced a few secrets against the real OpenBao, had a failure and
 * ran an on-change hook: checked by `promtool check metrics` and for what its labels hold.
 */
import { assert, assertEquals, assertNotIncludes } from "../support/assert.ts";
import { freePort } from "../support/free_port.ts";
import { startOpenBao } from "../support/openbao.ts";
import { configYaml } from "../support/config_yaml.ts";
import { checkMetrics, requirePromlint } from "../support/promlint.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const go = await requirePromlint(import.meta.url);

/** The names of the Go secrets-sync's metrics, kept so dashboards find them. */
const SEED_METRICS = [
  "secret_fetch_total",
  "secret_fetch_errors_total",
  "secret_sync_duration_seconds",
  "circuit_breaker_state",
  "secrets_configured",
  "secrets_synced",
];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: string;
}

/** Parses the samples of the Prometheus text format (label values unescaped). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
    }
    samples.push({ name: m[1]!, labels, value: m[3]! });
  }
  return samples;
}

Deno.test({
  name:
    "metrics of a running sidecar pass promtool, hold the seed's names, and no values or Vault paths in labels",
  ignore: !go,
}, async () => {
  await using bao = await startOpenBao();
  await using dir = await tmpDir();
  await Deno.mkdir(dir.join("out"));
  const values = {
    db: { username: "db-user-7f3a", password: `db-pw-${crypto.randomUUID()}` },
    api: { key: `api-key-${crypto.randomUUID()}` },
    cache: { url: `redis://cache-user:${crypto.randomUUID()}@cache:6379` },
  };
  await bao.writeKv2("secret", "team-a/prod/database", values.db);
  await bao.writeKv2("secret", "team-a/prod/api-keys", values.api);
  await bao.writeKv2("secret", "team-b/cache-conn", values.cache);

  // An HTTP on-change hook target (the sidecar permission set has no --allow-run).
  let hookCalls = 0;
  await using hookServer = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      hookCalls++;
      return new Response("ok");
    },
  );
  const out = dir.join("out");
  const configPath = dir.join("config.yaml");
  await Deno.writeTextFile(
    configPath,
    configYaml([
      {
        name: "db",
        key: "team-a/prod/database",
        template: { "db.env": "USER={{ .username }}\nPASSWORD={{ .password }}\n" },
        files: [`${out}/db.env`],
        onChange: [{ http: { url: `http://127.0.0.1:${hookServer.addr.port}/reload` } }],
      },
      {
        name: "api",
        key: "team-a/prod/api-keys",
        template: { key: "{{ .key }}" },
        files: [`${out}/api.key`],
      },
      {
        name: "cache",
        key: "team-b/cache-conn",
        template: { url: "{{ .url }}" },
        files: [`${out}/cache.url`],
      },
      {
        name: "broken",
        key: "team-c/does-not-exist",
        template: { x: "{{ .x }}" },
        files: [`${out}/broken`],
      },
    ], {
      store: { authMethod: "token" },
      settings: { metrics: undefined, backoff: { initial: "200ms", max: "1s" } },
    }),
  );
  const port = freePort();
  await using sidecar = startSidecar({
    args: ["run", "--config", configPath],
    env: {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      STATUS_FILE: dir.join("status"),
      METRICS_PORT: String(port),
    },
  });
  for (const file of ["db.env", "api.key", "cache.url"]) {
    await sidecar.waitFor(async () => (await readIfExists(`${out}/${file}`)) !== undefined, file);
  }
  // A change in Vault: one more write and hook run for db.
  await bao.writeKv2("secret", "team-a/prod/database", { ...values.db, username: "db-user-8e4b" });
  await sidecar.waitFor(() => hookCalls >= 2, "the hook to run twice");

  let text = "";
  await sidecar.waitFor(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    text = await res.text();
    return /hook_runs_total\{[^}]*secret="db"[^}]*\} 2/.test(text) &&
      /secret_fetch_errors_total\{[^}]*secret="broken"/.test(text);
  }, "hook and failure to show in /metrics");
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assertEquals(res.status, 200);
  assert(res.headers.get("content-type")?.startsWith("text/plain"), "Prometheus text format");
  text = await res.text();

  const lint = await checkMetrics(text);
  assertEquals(lint.code, 0, `promtool check metrics:\n${lint.output}\n--- metrics\n${text}`);
  assertEquals(lint.output.trim(), "", `promtool lint findings:\n${lint.output}`);

  const samples = parseSamples(text);
  const names = new Set(samples.map((s) => s.name.replace(/_(bucket|sum|count)$/, "")));
  for (const name of SEED_METRICS) assert(names.has(name), `${name} missing from /metrics`);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;
  assertEquals(value("secrets_configured"), "4");
  assertEquals(value("secrets_synced"), "3");
  assertEquals(value("hook_runs_total", { secret: "db", kind: "http", result: "success" }), "2");
  assertEquals(
    value("secret_fetch_errors_total", { secret: "broken", kind: "not_found" }) !== undefined,
    true,
  );
  assert(Number(value("secret_sync_duration_seconds_count", { secret: "api" })) >= 1);
  assertEquals(value("file_writes_total", { secret: "db", result: "written" }), "2");

  // Labels: configured names and enumerations only.
  const secretNames = new Set(["db", "api", "cache", "broken"]);
  const forbidden = [
    ...Object.values(values).flatMap((v) => Object.values(v)),
    "db-user-8e4b",
    bao.rootToken,
    "team-a",
    "team-b",
    "team-c",
    "secret/data",
    bao.address,
  ];
  for (const sample of samples) {
    for (const [label, labelValue] of Object.entries(sample.labels)) {
      if (label === "secret") assert(secretNames.has(labelValue), `secret="${labelValue}"`);
      for (const bad of forbidden) {
        assertNotIncludes(labelValue, bad, `${sample.name}{${label}} holds "${bad}"`);
      }
    }
  }
  for (const bad of forbidden) assertNotIncludes(text, bad);
  console.log(
    `/metrics: ${text.length} bytes, ${samples.length} samples, families: ${
      [...new Set(text.match(/^# TYPE \S+ \S+/gm)!.map((l) => l.slice(7)))].join("; ")
    }`,
  );
  await Deno.writeTextFile(dir.join("metrics.txt"), text);
  if (Deno.env.get("OBSERVE_METRICS_DUMP")) {
    await Deno.writeTextFile(Deno.env.get("OBSERVE_METRICS_DUMP")!, text);
  }
});
