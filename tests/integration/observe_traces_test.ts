/**
 * Traces end to end: the sidecar process with Deno's built-in OpenTelemetry (`OTEL_DENO=true`)
 * exports `sync` spans with `read`, `render` and `write` children to an OTLP/HTTP receiver, over
 * JSON and protobuf, carrying names but never values.
 */
import { assert, assertEquals, assertNotIncludes } from "../support/assert.ts";
import { startOpenBao } from "../support/openbao.ts";
import { configYaml } from "../support/config_yaml.ts";
import { startOtlpReceiver } from "../support/otlp_receiver.ts";
import { readIfExists, startSidecar } from "../support/sidecar.ts";
import { tmpDir } from "../support/tmp_dir.ts";

/** Span ids and parents as sent over OTLP/JSON (the receiver keeps parents only). */
interface JsonSpanIds {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

function spanIdsFromJson(bodies: Uint8Array[]): JsonSpanIds[] {
  const out: JsonSpanIds[] = [];
  for (const body of bodies) {
    const request = JSON.parse(new TextDecoder().decode(body));
    for (const resource of request.resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          out.push({
            name: span.name,
            traceId: span.traceId ?? "",
            spanId: span.spanId ?? "",
            parentSpanId: span.parentSpanId ?? "",
          });
        }
      }
    }
  }
  return out;
}

for (const protocol of ["http/json", "http/protobuf"] as const) {
  Deno.test(`sync spans with read, render and write children reach an OTLP receiver over ${protocol}, without values`, async () => {
    await using bao = await startOpenBao();
    await using dir = await tmpDir();
    await using receiver = startOtlpReceiver();
    const out = dir.join("out");
    await Deno.mkdir(out);
    const password = `pw-${crypto.randomUUID()}`;
    await bao.writeKv2("secret", "app/db", { password });
    const configPath = dir.join("config.yaml");
    await Deno.writeTextFile(
      configPath,
      configYaml([
        {
          name: "db",
          key: "app/db",
          template: { "db.env": "PASSWORD={{ .password }}" },
          files: [`${out}/db.env`],
        },
        {
          name: "missing",
          key: "app/missing",
          template: { x: "{{ .x }}" },
          files: [`${out}/missing`],
        },
      ], {
        store: { authMethod: "token" },
        settings: { metrics: undefined, backoff: { initial: "200ms", max: "1s" } },
      }),
    );
    await using sidecar = startSidecar({
      args: ["run", "--config", configPath],
      env: {
        VAULT_ADDR: bao.address,
        VAULT_TOKEN: bao.rootToken,
        STATUS_FILE: dir.join("status"),
        ENABLE_METRICS: "false",
        OTEL_DENO: "true",
        OTEL_SERVICE_NAME: "secrets-sync-test",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      },
    });
    await sidecar.waitFor(async () => (await readIfExists(`${out}/db.env`)) !== undefined, "sync");
    // Let a few more passes happen, then stop: spans are flushed on exit at the latest.
    await sidecar.waitFor(
      () => sidecar.logs().filter((l) => String(l.message).includes("Cannot sync")).length >= 2,
      "two failed passes of the missing secret",
    );
    sidecar.kill("SIGTERM");
    assertEquals((await sidecar.status).code, 0, sidecar.stderr());
    await receiver.waitForSpan("write", { timeoutMs: 10_000 });

    const expectedType = protocol === "http/json" ? "application/json" : "application/x-protobuf";
    assert(
      receiver.contentTypes.every((t) => t.includes(expectedType)),
      `${receiver.contentTypes}`,
    );
    const ours = receiver.spans.filter((s) => s.scope === "secrets-sync");
    const syncs = ours.filter((s) => s.name === "sync");
    assert(syncs.length >= 2, `sync spans: ${syncs.length}`);
    for (const sync of syncs) {
      assertEquals(sync.parentSpanId.replace(/^0*$/, ""), "", "sync is a root span");
      assert(["db", "missing"].includes(String(sync.attributes["secret.name"])));
    }
    const okSync = syncs.find((s) =>
      s.attributes["secret.name"] === "db" && s.attributes["sync.status"] === "ok" &&
      s.attributes["sync.changed"] === true
    );
    assert(okSync, "a successful sync span of db that changed the file");
    assertEquals(okSync.statusCode === 2, false);
    // Its children share its trace and name the secret.
    const children = ours.filter((s) => s.traceId === okSync.traceId && s.name !== "sync");
    assertEquals(
      [...new Set(children.map((s) => s.name))].filter((n) =>
        ["read", "render", "write"].includes(n)
      )
        .sort(),
      ["read", "render", "write"],
    );
    for (const child of children.filter((s) => ["read", "render", "write"].includes(s.name))) {
      assertEquals(child.attributes["secret.name"], "db");
      assert(child.parentSpanId.replace(/^0*$/, "") !== "", `${child.name} has a parent`);
    }
    const write = children.find((s) => s.name === "write")!;
    assertEquals(write.attributes["files"], 1);

    const failedSync = syncs.find((s) => s.attributes["secret.name"] === "missing");
    assert(failedSync, "a sync span of the missing secret");
    assertEquals(failedSync.statusCode, 2);
    assertEquals(failedSync.attributes["sync.status"], "failed");
    assertEquals(failedSync.attributes["sync.stage"], "read");
    assert(
      ["not_found", "deleted"].includes(String(failedSync.attributes["error.type"])),
      String(failedSync.attributes["error.type"]),
    );
    const failedRead = ours.find((s) => s.traceId === failedSync.traceId && s.name === "read");
    assert(failedRead, "the failed sync has a read child");
    assertEquals(failedRead.statusCode, 2);

    if (protocol === "http/json") {
      // Exact parent links from the raw OTLP/JSON.
      const ids = spanIdsFromJson(receiver.bodies);
      const syncIds = ids.filter((s) => s.name === "sync");
      for (const name of ["read", "render", "write"]) {
        const spans = ids.filter((s) => s.name === name);
        assert(spans.length > 0, name);
        for (const span of spans) {
          const parent = syncIds.find((s) => s.spanId === span.parentSpanId);
          assert(parent, `${name} span's parent is a sync span`);
          assertEquals(parent.traceId, span.traceId);
        }
      }
    }

    // Nothing that left the process holds a value or the token.
    const sent = receiver.bodies.map((b) => new TextDecoder().decode(b)).join("\n");
    assert(sent.length > 0);
    assertNotIncludes(sent, password);
    assertNotIncludes(sent, bao.rootToken);
    for (const span of ours) {
      for (const value of Object.values(span.attributes)) {
        assertNotIncludes(String(value), password);
        assertNotIncludes(String(value), "app/db");
      }
      assertNotIncludes(span.statusMessage, password);
    }
    console.log(
      `${protocol}: ${receiver.bodies.length} export request(s), ${ours.length} spans: ${
        Object.entries(
          ours.reduce<Record<string, number>>((acc, s) => {
            acc[s.name] = (acc[s.name] ?? 0) + 1;
            return acc;
          }, {}),
        ).map(([n, c]) => `${n}×${c}`).join(", ")
      }`,
    );
  });
}
