import {
  assert,
  assertEquals,
  assertNotIncludes,
  assertStringIncludes,
  assertThrows,
} from "../support/assert.ts";
import { Syncer } from "../../src/sync/syncer.ts";
import { FakeClock } from "../support/fake_clock.ts";
import type { FilePlan, HookPlan, SecretPlan } from "../../src/config/plan.ts";
import type { SecretData, SecretRef } from "../../src/vault/mod.ts";
import { VaultError } from "../../src/vault/mod.ts";
import { NO_LEASE_CALLS, secretPlan } from "./_fixtures.ts";

const DECODER = new TextDecoder();

/** An in-memory reader: a unit-test port, not a Vault client (integration tests use the real one). */
function memoryReader(
  data: Record<string, SecretData | Error>,
  paths: Record<string, Record<string, unknown>> = {},
) {
  const reads: string[] = [];
  return {
    reads,
    reader: {
      readSecret(ref: SecretRef): Promise<SecretData> {
        reads.push(`${ref.mountPath}/${ref.key}`);
        const value = data[`${ref.mountPath}/${ref.key}`];
        if (value instanceof Error) return Promise.reject(value);
        if (!value) return Promise.reject(new VaultError("not found", { kind: "not_found" }));
        return Promise.resolve(value);
      },
      readPath(path: string): Promise<Record<string, unknown>> {
        reads.push(`path:${path}`);
        const body = paths[path];
        return body
          ? Promise.resolve(body)
          : Promise.reject(new VaultError("not found", { kind: "not_found" }));
      },
      ...NO_LEASE_CALLS,
    },
  };
}

function memorySink() {
  const files = new Map<string, string>();
  const removed: string[] = [];
  return {
    files,
    removed,
    sink: {
      write(file: FilePlan, content: Uint8Array): Promise<"written" | "unchanged"> {
        const text = DECODER.decode(content);
        if (files.get(file.path) === text) return Promise.resolve("unchanged");
        files.set(file.path, text);
        return Promise.resolve("written");
      },
      remove(file: FilePlan): Promise<"removed" | "absent"> {
        removed.push(file.path);
        return Promise.resolve(files.delete(file.path) ? "removed" : "absent");
      },
    },
  };
}

function hookRecorder() {
  const runs: Array<{ secret: string; hooks: HookPlan[] }> = [];
  return {
    runs,
    runHooks: (hooks: HookPlan[], options: { secret: string }) => {
      runs.push({ secret: options.secret, hooks });
      return Promise.resolve(
        hooks.map((h) => ({ kind: h.kind, status: "ok" as const, durationMs: 1 })),
      );
    },
  };
}

const HOOK: HookPlan = {
  kind: "http",
  url: "http://127.0.0.1:1/reload",
  method: "POST",
  timeoutMs: 1000,
};

Deno.test("Syncer.sync() renders each file from its template and runs hooks on change", async () => {
  const { reader } = memoryReader({
    "secret/app/db": { data: { password: "hunter22", port: 5432 }, version: 3 },
  });
  const { sink, files } = memorySink();
  const hooks = hookRecorder();
  const syncer = new Syncer({
    reader: () => reader,
    sink,
    runHooks: hooks.runHooks,
  });
  const secret = secretPlan({
    templates: [
      { name: "a", source: "PASSWORD={{ .password }}" },
      { name: "b", source: "PORT={{ .port }}" },
    ],
    files: [
      { path: "/out/b", template: "b", mode: 0o600, writeMode: "rename", createDirs: false },
      { path: "/out/a", template: "a", mode: 0o600, writeMode: "rename", createDirs: false },
    ],
    onChange: [HOOK],
  });
  const result = await syncer.sync(secret);
  assertEquals(result.status, "ok");
  assert(result.status === "ok");
  assertEquals(result.version, 3);
  assertEquals(result.changed, true);
  assertEquals(files.get("/out/a"), "PASSWORD=hunter22");
  // Numbers print as stored (Go json.Number), not 5.432e+03.
  assertEquals(files.get("/out/b"), "PORT=5432");
  assertEquals(hooks.runs.length, 1);

  const again = await syncer.sync(secret);
  assert(again.status === "ok");
  assertEquals(again.changed, false);
  assertEquals(again.files.map((f) => f.result), ["unchanged", "unchanged"]);
  assertEquals(hooks.runs.length, 1, "no hook when nothing changed");
});

Deno.test("Syncer.sync() writes nothing and runs no hook when a new version renders the same bytes", async () => {
  const data: Record<string, SecretData> = {
    "secret/app/db": { data: { password: "hunter22", unused: "u1" }, version: 1 },
  };
  const { reader, reads } = memoryReader(data);
  const { sink, files } = memorySink();
  const hooks = hookRecorder();
  const clock = new FakeClock(0);
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hooks.runHooks, clock });
  const secret = secretPlan({ onChange: [HOOK] });
  const first = await syncer.sync(secret);
  assert(first.status === "ok" && first.changed);
  assertEquals(hooks.runs.length, 1);

  // A new version whose rendered content is the same (only a key the template ignores moved).
  data["secret/app/db"] = { data: { password: "hunter22", unused: "u2" }, version: 2 };
  await clock.tick(secret.refreshIntervalMs);
  const again = await syncer.sync(secret);
  assert(again.status === "ok");
  assertEquals(again.version, 2);
  assertEquals(again.changed, false);
  assertEquals(again.files.map((f) => f.result), ["unchanged"]);
  assertEquals(hooks.runs.length, 1, "no hook when the bytes did not change");
  assertEquals(reads.length, 2, "the new version was read");
  assertEquals(files.get("/tmp/never-written/db.env"), "PASSWORD=hunter22\n");
});

Deno.test("Syncer.sync() keeps every file when a template misses a key, without the value in the error", async () => {
  const { reader } = memoryReader({ "secret/app/db": { data: { password: "hunter22" } } });
  const { sink, files } = memorySink();
  files.set("/out/a", "old");
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const result = await syncer.sync(secretPlan({
    templates: [{ name: "a", source: "{{ .password }} {{ .missing }}" }],
    files: [{ path: "/out/a", template: "a", mode: 0o600, writeMode: "rename", createDirs: false }],
  }));
  assertEquals(result.status, "failed");
  assert(result.status === "failed");
  assertEquals(result.stage, "render");
  assertEquals(result.errorKind, "template");
  assertStringIncludes(result.error.message, "missing");
  assertNotIncludes(result.error.message, "hunter22");
  assertEquals(files.get("/out/a"), "old");
});

Deno.test("Syncer.sync() with missingKey default prints Go's <no value>", async () => {
  const { reader } = memoryReader({ "secret/app/db": { data: {} } });
  const { sink, files } = memorySink();
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const result = await syncer.sync(secretPlan({
    missingKey: "default",
    templates: [{ name: "a", source: "x={{ .missing }}" }],
    files: [{ path: "/out/a", template: "a", mode: 0o600, writeMode: "rename", createDirs: false }],
  }));
  assertEquals(result.status, "ok");
  assertEquals(files.get("/out/a"), "x=<no value>");
});

Deno.test("Syncer.sync() keeps the files of a deleted secret by default", async () => {
  const { reader } = memoryReader({
    "secret/app/db": new VaultError("Cannot read secret: version deleted", {
      kind: "deleted",
      status: 404,
    }),
  });
  const { sink, files, removed } = memorySink();
  files.set("/tmp/never-written/db.env", "old");
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const result = await syncer.sync(secretPlan());
  assert(result.status === "failed");
  assertEquals(result.errorKind, "deleted");
  assertEquals(removed, []);
  assertEquals(files.get("/tmp/never-written/db.env"), "old");
});

Deno.test("Syncer.sync() removes the files of a missing secret with onMissing: delete", async () => {
  const { reader } = memoryReader({});
  const { sink, files } = memorySink();
  files.set("/tmp/never-written/db.env", "old");
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const result = await syncer.sync(secretPlan({ onMissing: "delete" }));
  assert(result.status === "failed");
  assertEquals(result.errorKind, "not_found");
  assertEquals(result.removed, ["/tmp/never-written/db.env"]);
  assertEquals(files.has("/tmp/never-written/db.env"), false);
});

Deno.test("Syncer.sync() shares one read between secrets of the same path", async () => {
  const { reader, reads } = memoryReader({ "secret/app/db": { data: { password: "p4ssw0rd" } } });
  const { sink } = memorySink();
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const results = await Promise.all([
    syncer.sync(secretPlan({ name: "one" })),
    syncer.sync(secretPlan({
      name: "two",
      files: [{
        path: "/out/two",
        template: "db.env",
        mode: 0o600,
        writeMode: "rename",
        createDirs: false,
      }],
    })),
  ]);
  assertEquals(results.map((r) => r.status), ["ok", "ok"]);
  assertEquals(reads, ["secret/app/db"]);
});

Deno.test("Syncer.sync() resolves consul-template style secret calls from prefetched reads", async () => {
  const { reader, reads } = memoryReader(
    { "secret/app/db": { data: {} } },
    { "secret/data/shared": { lease_id: "", data: { data: { token: "t0k3n-value" } } } },
  );
  const { sink, files } = memorySink();
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const result = await syncer.sync(secretPlan({
    templates: [{
      name: "a",
      source: '{{ with secret "secret/data/shared" }}{{ .Data.data.token }}{{ end }}',
    }],
    files: [{ path: "/out/a", template: "a", mode: 0o600, writeMode: "rename", createDirs: false }],
  }));
  assertEquals(result.status, "ok");
  assertEquals(files.get("/out/a"), "t0k3n-value");
  assertEquals(reads.sort(), ["path:secret/data/shared", "secret/app/db"]);
});

Deno.test("Syncer.sync() reports a Vault error kind and keeps the file", async () => {
  const { reader } = memoryReader({
    "secret/app/db": new VaultError('Cannot read secret "secret/app/db": permission denied', {
      kind: "permission_denied",
      status: 403,
    }),
  });
  const { sink, files } = memorySink();
  files.set("/tmp/never-written/db.env", "old");
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const result = await syncer.sync(secretPlan());
  assert(result.status === "failed");
  assertEquals([result.stage, result.errorKind], ["read", "permission_denied"]);
  assertEquals(files.get("/tmp/never-written/db.env"), "old");
});

Deno.test("Syncer.sync() never lets a fast secret reuse its own previous read", async () => {
  const clock = new FakeClock(0);
  const { reader, reads } = memoryReader({ "secret/app/db": { data: { password: "p4ssw0rd" } } });
  const { sink } = memorySink();
  const syncer = new Syncer({
    reader: () => reader,
    sink,
    runHooks: hookRecorder().runHooks,
    clock,
  });
  const secret = secretPlan({ refreshIntervalMs: 100, jitter: 0.1 });
  await syncer.sync(secret);
  await clock.tick(90); // the shortest period of a 100 ms secret with 10 % jitter
  await syncer.sync(secret);
  assertEquals(reads, ["secret/app/db", "secret/app/db"]);
});

Deno.test("Syncer.sync() loads the libraries a template's functions need before rendering it", async () => {
  const { reader } = memoryReader({ "secret/app/db": { data: { user: "app" }, version: 1 } });
  const { sink, files } = memorySink();
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const secret = secretPlan({
    templates: [{
      name: "db.env",
      source: '{{ htpasswd .user "pw" | trunc 6 }} {{ (genCA "ca" 1).Cert | trunc 27 }}',
    }],
  });
  const result = await syncer.sync(secret);
  assertEquals(result.status, "ok", result.status === "failed" ? result.error.message : "");
  assertEquals(files.get("/tmp/never-written/db.env"), "app:$2 -----BEGIN CERTIFICATE-----");
});

Deno.test("Syncer.compile() refuses computed secret arguments, a write argument without =, and no key with no calls", () => {
  const syncer = new Syncer({
    reader: () => memoryReader({}).reader,
    sink: memorySink().sink,
    runHooks: hookRecorder().runHooks,
  });
  const compileError = (source: string, overrides: Partial<SecretPlan> = {}) =>
    assertThrows(() =>
      syncer.compile(secretPlan({ templates: [{ name: "t", source }], ...overrides }))
    ).message;
  assertStringIncludes(
    compileError("x\n{{ secret .path }}"),
    "template: t:2: secret needs quoted string arguments",
  );
  assertStringIncludes(
    compileError('{{ pkiCert "pki/issue/web" "common_name" }}'),
    'template: t:1: pkiCert "pki/issue/web": argument "common_name" is not key=value',
  );
  const noKey = secretPlan({ templates: [{ name: "t", source: "x" }] });
  delete noKey.key;
  assertStringIncludes(
    assertThrows(() => syncer.compile(noKey)).message,
    'Secret "app" has no key and its templates call neither secret nor pkiCert',
  );
});

Deno.test("Syncer.sync() without key renders from secret reads alone, each call once per render", async () => {
  const { reader, reads } = memoryReader({}, {
    "database/creds/app": { lease_id: "", data: { username: "u1", password: "p1" } },
  });
  const { sink, files } = memorySink();
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hookRecorder().runHooks });
  const secret = secretPlan({
    templates: [{
      name: "db.env",
      source: '{{ with secret "database/creds/app" }}{{ .Data.username }}{{ end }}:' +
        '{{ (secret "database/creds/app").Data.password }}',
    }],
  });
  delete secret.key;
  const result = await syncer.sync(secret);
  assertEquals(result.status, "ok");
  assertEquals(files.get("/tmp/never-written/db.env"), "u1:p1");
  assertEquals(reads, ["path:database/creds/app"], "no KV read, one read for both calls");
});

Deno.test("Syncer.sync() never goes back a version: an older one (a lagging standby) keeps the files", async () => {
  const at = (iso: string) => ({ created_time: iso });
  const data: Record<string, SecretData> = {
    "secret/app/db": { data: { password: "v3" }, version: 3, metadata: at("2026-12-02T10:03:00Z") },
  };
  const { reader } = memoryReader(data);
  const { sink, files } = memorySink();
  const hooks = hookRecorder();
  const clock = new FakeClock();
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hooks.runHooks, clock });
  const secret = secretPlan();
  assertEquals((await syncer.sync(secret)).status, "ok");
  assertEquals(files.get("/tmp/never-written/db.env"), "PASSWORD=v3\n");
  data["secret/app/db"] = {
    data: { password: "v2" },
    version: 2,
    metadata: at("2026-12-02T10:02:00Z"),
  };
  await clock.tick(10_000); // past the read-share window
  const older = await syncer.sync(secret);
  assert(older.status === "ok");
  assertEquals([older.changed, older.version], [false, 3]);
  assertEquals(files.get("/tmp/never-written/db.env"), "PASSWORD=v3\n", "the newer file stays");
  // Deleted and created again: version 1, created later — written.
  data["secret/app/db"] = {
    data: { password: "new" },
    version: 1,
    metadata: at("2026-12-02T11:00:00Z"),
  };
  await clock.tick(10_000);
  const recreated = await syncer.sync(secret);
  assert(recreated.status === "ok" && recreated.changed);
  assertEquals(files.get("/tmp/never-written/db.env"), "PASSWORD=new\n");
  assertEquals(hooks.runs.length, 0);
});

/** memorySink() that counts writes and answers intact() from a flag the test sets. */
function intactSink() {
  const inner = memorySink();
  const state = { writes: 0, intact: true, asked: [] as string[] };
  return {
    ...inner,
    state,
    sink: {
      ...inner.sink,
      write(file: FilePlan, content: Uint8Array) {
        state.writes++;
        return inner.sink.write(file, content);
      },
      intact(file: FilePlan): Promise<boolean> {
        state.asked.push(file.path);
        return Promise.resolve(state.intact && inner.files.has(file.path));
      },
    },
  };
}

Deno.test("Syncer.sync() skips render and write when the version, plan and files are unchanged", async () => {
  const data: Record<string, SecretData> = {
    "secret/app/db": { data: { password: "hunter22" }, version: 3 },
  };
  const { reader, reads } = memoryReader(data);
  const { sink, state, files } = intactSink();
  const hooks = hookRecorder();
  const clock = new FakeClock();
  const syncer = new Syncer({ reader: () => reader, sink, runHooks: hooks.runHooks, clock });
  // A refresh later, past the window in which reads of one path are shared.
  const sync = async (plan: SecretPlan) => {
    await clock.tick(1_000);
    return await syncer.sync(plan);
  };
  const secret = secretPlan({ onChange: [HOOK] });
  assertEquals((await sync(secret)).status, "ok");
  assertEquals(state.writes, 1);

  // Same version, same plan, file intact: read, but neither rendered nor written.
  const again = await sync(secret);
  assert(again.status === "ok");
  assertEquals(again.changed, false);
  assertEquals(again.version, 3);
  assertEquals(again.files, [{ path: secret.files[0]!.path, result: "unchanged" }]);
  assertEquals(state.writes, 1);
  assertEquals(reads.length, 2, "the secret is still read every refresh");
  assertEquals(hooks.runs.length, 1);

  // The file changed behind the sink's back: rendered and written again.
  state.intact = false;
  await sync(secret);
  assertEquals(state.writes, 2);
  state.intact = true;

  // A new version is rendered.
  data["secret/app/db"] = { data: { password: "hunter23" }, version: 4 };
  await sync(secret);
  assertEquals(state.writes, 3);
  assertEquals(files.get(secret.files[0]!.path), "PASSWORD=hunter23\n");
  assertEquals(hooks.runs.length, 2);

  // A reloaded plan (a new object, e.g. another mode) is written once, then skipped again.
  const reloaded = { ...secret, files: secret.files.map((f) => ({ ...f, mode: 0o640 })) };
  await sync(reloaded);
  assertEquals(state.writes, 4);
  await sync(reloaded);
  assertEquals(state.writes, 4);
});

Deno.test("Syncer.sync() renders every refresh when the version cannot tell (KV v1) or the template is not repeatable", async () => {
  const cases: Array<[string, SecretData, string]> = [
    ["KV v1 (no version)", { data: { password: "hunter22" } }, "PASSWORD={{ .password }}"],
    ["clock", { data: { password: "hunter22" }, version: 1 }, '{{ now | date "2006" }}'],
    ["randomness", { data: { password: "hunter22" }, version: 1 }, "{{ randAlphaNum 8 }}"],
    ["salt", { data: { password: "hunter22" }, version: 1 }, '{{ htpasswd "u" .password }}'],
  ];
  for (const [what, value, source] of cases) {
    const { reader } = memoryReader({ "secret/app/db": value });
    const { sink, state } = intactSink();
    const clock = new FakeClock();
    const syncer = new Syncer({
      reader: () => reader,
      sink,
      runHooks: hookRecorder().runHooks,
      clock,
    });
    const secret = secretPlan({ templates: [{ name: "db.env", source }] });
    for (let i = 0; i < 3; i++) {
      await clock.tick(1_000);
      assertEquals((await syncer.sync(secret)).status, "ok", what);
    }
    assertEquals(state.writes, 3, what);
    assertEquals(state.asked.length, 0, what);
  }
});
