/**
 * `deno task openbao-bin` (tests/support/build_openbao.ts) resolves the real `bao` in the documented
 * order and prints its path last. Each case runs the resolver as its own process with stand-in
 * `bao` scripts (they only answer `bao version`), an empty cache and a PATH of our choosing.
 */
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const RESOLVER = new URL("../support/build_openbao.ts", import.meta.url).pathname;
const DENO_DIR = Deno.execPath().slice(0, Deno.execPath().lastIndexOf("/"));

/** Writes an executable `bao` into `dir` that prints `version` for `bao version`. */
async function fakeBao(dir: string, version: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/bao`;
  await Deno.writeTextFile(path, `#!/bin/sh\necho "OpenBao v${version}"\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

async function resolve(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", RESOLVER],
    env: { NO_COLOR: "1", HOME: Deno.env.get("HOME") ?? "/tmp", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim().split("\n");
  return {
    code: out.code,
    last: stdout.at(-1) ?? "",
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("openbao-bin takes OPENBAO_BIN first and prints its version", async () => {
  await using dir = await tmpDir();
  const bin = await fakeBao(dir.join("env"), "2.6.2");
  const onPath = dir.join("path");
  await fakeBao(onPath, "2.7.0");
  const r = await resolve({
    OPENBAO_BIN: bin,
    PATH: `${onPath}:${DENO_DIR}:/usr/bin:/bin`,
    OPENBAO_CACHE_DIR: dir.join("cache"),
  });
  assertEquals([r.code, r.last], [0, bin], r.stderr);
  assertStringIncludes(r.stderr, "OpenBao v2.6.2 from OPENBAO_BIN");
});

Deno.test("openbao-bin takes a bao 2.6+ on PATH and passes over an older one", async () => {
  await using dir = await tmpDir();
  const newer = await fakeBao(dir.join("new"), "2.6.3");
  await fakeBao(dir.join("old"), "2.5.1");
  const r = await resolve({
    PATH: `${dir.join("new")}:${DENO_DIR}:/usr/bin:/bin`,
    OPENBAO_CACHE_DIR: dir.join("cache"),
  });
  assertEquals([r.code, r.last], [0, newer], r.stderr);
  assertStringIncludes(r.stderr, "from PATH");

  // An older bao on PATH is not taken: the cache, then build.sh come next.
  const cached = await fakeBao(dir.join("cache/0123abcd"), "2.6.2");
  const r2 = await resolve({
    PATH: `${dir.join("old")}:${DENO_DIR}:/usr/bin:/bin`,
    OPENBAO_CACHE_DIR: dir.join("cache"),
  });
  assertEquals([r2.code, r2.last], [0, cached], r2.stderr);
  assertStringIncludes(r2.stderr, "from cache");
});

Deno.test("openbao-bin runs build.sh when nothing is cached, and names every way when all fail", async () => {
  await using dir = await tmpDir();
  const built = dir.join("built");
  const source = dir.join("source");
  await Deno.mkdir(source);
  // A stand-in build.sh with build.sh's contract: OUT_DIR as $1, the binary's path last on stdout.
  await Deno.writeTextFile(
    `${source}/build.sh`,
    `#!/bin/sh\nmkdir -p "$1/x" && printf '#!/bin/sh\\necho "OpenBao v2.6.2"\\n' > "$1/x/bao" && ` +
      `chmod +x "$1/x/bao" && echo building >&2 && echo "$1/x/bao"\n`,
  );
  const r = await resolve({
    PATH: `${DENO_DIR}:/usr/bin:/bin`,
    OPENBAO_CACHE_DIR: built,
    OPENBAO_SOURCE_DIR: source,
  });
  assertEquals([r.code, r.last], [0, `${built}/x/bao`], r.stderr);
  assertStringIncludes(r.stderr, "from build.sh");

  // No OPENBAO_BIN, no bao on PATH, an empty cache, no build.sh and no Go: a message, exit 1.
  const none = await resolve({
    PATH: `${DENO_DIR}:/bin-nothing-here`,
    OPENBAO_CACHE_DIR: dir.join("empty"),
    OPENBAO_SOURCE_DIR: dir.join("no-such-dir"),
  });
  assertEquals(none.code, 1, none.stderr);
  for (
    const way of [
      "OPENBAO_BIN",
      "no bao on PATH",
      "no build cached",
      "build.sh",
      "go is not on PATH",
    ]
  ) {
    assertStringIncludes(none.stderr, way);
  }
});
