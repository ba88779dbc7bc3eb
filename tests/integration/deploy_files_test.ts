/**
 * The deployment files are checked by the tools that consume them: Compose files by
 * `docker-compose config` (or `docker compose config`), the systemd unit by `systemd-analyze verify`
 * and `systemd-analyze security --offline`, example configs by the program's own config loader, and
 * the Dockerfile against the permission set it bakes in. A check whose tool is absent is skipped with
 * the reason printed (CI installs docker-compose and systemd).
 */
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../src/config/mod.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotIncludes,
  assertStringIncludes,
} from "../support/assert.ts";
import { reportSkip, requireTool, toolWorks } from "../support/requires.ts";
import { tmpDir } from "../support/tmp_dir.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const COMPOSE_FILES = ["examples/docker-compose.openbao.yml", "examples/docker-compose.vault.yml"];
const UNIT = "examples/systemd/secrets-sync.service";

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], cwd = ROOT): Promise<Output> {
  const out = await new Deno.Command(command, { args, cwd, stdin: "null" }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** `docker-compose` (v1, Debian's package) or the `docker compose` v2 plugin; neither needs an engine for `config`. */
async function composeCommand(): Promise<string[] | undefined> {
  if (await toolWorks("docker-compose", ["version"])) return ["docker-compose"];
  if (await toolWorks("docker", ["compose", "version"])) return ["docker", "compose"];
  return undefined;
}

const compose = await composeCommand();
if (!compose) {
  reportSkip("missing tool: docker-compose", {
    test: import.meta.url,
    skips: "the Compose file checks",
    detail: "apt-get install docker-compose (or the docker compose plugin)",
  });
}
const systemdAnalyze = await requireTool("systemd-analyze", {
  test: import.meta.url,
  skips: "the systemd unit checks",
  install: "apt-get install systemd",
});

/** The `sidecar` permission set's write list, resolved like Deno does (relative to deno.json). */
async function sidecarWritePaths(): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const write: string[] = denoJson.permissions.sidecar.write;
  return write.map((p) => p.startsWith("/") ? p : `${ROOT}${p.replace(/^\.\//, "")}`);
}

function inside(path: string, dirs: string[]): boolean {
  return dirs.some((dir) => path === dir || path.startsWith(`${dir.replace(/\/$/, "")}/`));
}

// deno-lint-ignore no-explicit-any
type Yaml = any;

async function composeConfig(file: string): Promise<Yaml> {
  const result = await run(compose![0]!, [...compose!.slice(1), "-f", file, "config"]);
  assertEquals(result.code, 0, `${file}: ${result.stderr}`);
  return parseYaml(result.stdout);
}

for (const file of COMPOSE_FILES) {
  Deno.test({
    name: `${file} is valid and starts the app only after the sidecar is healthy`,
    ignore: !compose,
    async fn() {
      const config = await composeConfig(file);
      const services = config.services;
      assertEquals(
        Object.keys(services).sort(),
        [
          "app",
          "init",
          file.includes("openbao") ? "openbao" : "vault",
          "secrets-sync",
        ].sort(),
      );
      const server = file.includes("openbao") ? "openbao" : "vault";
      assertMatch(
        services[server].image,
        file.includes("openbao") ? /^openbao\/openbao:/ : /^hashicorp\/vault:/,
      );

      assertEquals(services.init.depends_on[server].condition, "service_healthy");
      const sidecar = services["secrets-sync"];
      assertEquals(sidecar.depends_on.init.condition, "service_completed_successfully");
      assertEquals(services.app.depends_on["secrets-sync"].condition, "service_healthy");
      assertEquals(sidecar.healthcheck.test, ["CMD", "/secrets-sync", "isready"]);
      assertEquals(sidecar.build.dockerfile, "Dockerfile");
      assertEquals(sidecar.read_only, true);
      assertEquals(sidecar.cap_drop, ["ALL"]);
      assert(!String(sidecar.user).startsWith("0"), "the sidecar does not run as root");
      assertNotIncludes(JSON.stringify(sidecar.environment ?? {}), "TOKEN");

      // The sidecar and the app share the output volume; only the sidecar sees the credentials.
      // v1 prints "source:target:mode"; the v2 plugin prints long-syntax objects.
      const volumes = (service: Yaml) =>
        (service.volumes as Yaml[]).map((v) =>
          typeof v === "string" ? v : `${v.source}:${v.target}${v.read_only ? ":ro" : ""}`
        );
      assert(
        volumes(sidecar).includes("secrets:/secrets:rw") ||
          volumes(sidecar).includes("secrets:/secrets"),
      );
      assert(volumes(services.app).includes("secrets:/secrets:ro"), volumes(services.app).join());
      assert(volumes(sidecar).includes("approle:/run/approle:ro"), volumes(sidecar).join());
      assert(!volumes(services.app).some((v) => v.startsWith("approle:")));
      assert(volumes(services.init).some((v) => v.startsWith("approle:/approle")));
    },
  });
}

Deno.test("the compose scripts are valid POSIX shell", async () => {
  for (const script of ["examples/compose/init-vault.sh", "examples/compose/app.sh"]) {
    const result = await run("sh", ["-n", script]);
    assertEquals(result.code, 0, `${script}: ${result.stderr}`);
  }
  const init = await Deno.readTextFile(`${ROOT}examples/compose/init-vault.sh`);
  // The credentials are readable by the sidecar's UID alone.
  assertStringIncludes(init, "umask 077");
  assertStringIncludes(init, "chmod 0400");
});

Deno.test("the example configs load and write only where the sidecar permission set allows", async () => {
  const writable = await sidecarWritePaths();
  const env: Record<string, string> = {
    VAULT_ADDR: "http://vault:8200",
    CREDENTIALS_DIRECTORY: "/run/credentials/secrets-sync.service",
  };
  const examples = {
    "examples/compose/config.yaml": "/run/approle/",
    "examples/systemd/config.yaml": "/run/credentials/secrets-sync.service/",
  };
  for (const [file, credentialsDir] of Object.entries(examples)) {
    const plan = await loadConfig(`${ROOT}${file}`, { env: (name) => env[name] });
    assert(plan.secrets.length > 0, file);
    for (const secret of plan.secrets) {
      for (const out of secret.files) {
        assert(
          inside(out.path, writable),
          `${file}: ${out.path} is outside ${writable.join(", ")}`,
        );
      }
    }
    const auth = plan.credentials[plan.secrets[0]!.credentials];
    assertEquals(auth?.method, "approle", file);
    if (auth?.method !== "approle") continue;
    assertEquals(auth.roleIdFile, `${credentialsDir}role-id`, file);
    assertEquals(auth.secretIdFile, `${credentialsDir}secret-id`, file);
    assertEquals(plan.store.addresses, ["http://vault:8200"], file);
  }
});

Deno.test("the Dockerfile builds with deno task compile into a shell-less non-root image", async () => {
  const text = await Deno.readTextFile(`${ROOT}Dockerfile`);
  const stages = text.split(/^FROM /m).slice(1);
  assertEquals(stages.length, 2, "two stages: build and final");
  const [build, final] = stages as [string, string];
  assertMatch(build, /^denoland\/deno:\$\{DENO_VERSION\} AS build/);
  assertMatch(build, /deno task compile/);
  assertMatch(text, /ARG BASE_IMAGE=gcr\.io\/distroless\/cc-debian12:nonroot/);
  // No RUN in the final stage: it has no shell to run one with.
  assertEquals(/^RUN /m.test(final), false);
  assertMatch(final, /^USER 65532:65532$/m);
  assertMatch(final, /^VOLUME \["\/secrets"\]$/m);
  assertMatch(final, /CMD \["\/secrets-sync", "isready"\]/);
  assertMatch(final, /CONFIG_FILE=\/etc\/secrets-sync\/config\.yaml/);
  // Read-only root: the status file lives in the output volume, which the set lets it write.
  const status = /STATUS_FILE=(\S+)/.exec(final)?.[1];
  assertEquals(status, "/secrets/.secrets-sync-ready");
  assert(inside(status, await sidecarWritePaths()), "STATUS_FILE is writable under -P=sidecar");
});

Deno.test("deno task run and deno task compile (the Dockerfile's build) share the permission set and V8 flags", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  // The flags that shape the running process; compile adds only its output and build options.
  const runtimeFlags = (task: string, command: string) => {
    const words = String(tasks[task]).split(/\s+/);
    assertEquals(words.slice(0, 2), ["deno", command], tasks[task]);
    assertEquals(words.at(-1), "src/main.ts", tasks[task]);
    return words.slice(2, -1).filter((w) =>
      w.startsWith("-P=") || w === "--no-prompt" || w.startsWith("--v8-flags=")
    );
  };
  const run = runtimeFlags("run", "run");
  assertEquals(runtimeFlags("compile", "compile"), run);
  assertEquals(run.filter((w) => w.startsWith("--v8-flags=")).length, 1, run.join(" "));
  assertMatch(await Deno.readTextFile(`${ROOT}Dockerfile`), /deno task compile/);
});

Deno.test({
  name: "the systemd unit passes systemd-analyze verify",
  ignore: !systemdAnalyze,
  async fn() {
    await using dir = await tmpDir();
    // verify checks that ExecStart exists: point it at a stand-in for the compiled binary.
    const binary = dir.join("secrets-sync");
    await Deno.writeTextFile(binary, "#!/bin/sh\n");
    await Deno.chmod(binary, 0o755);
    const unit = dir.join("secrets-sync.service");
    const text = await Deno.readTextFile(`${ROOT}${UNIT}`);
    await Deno.writeTextFile(unit, text.replaceAll("/usr/local/bin/secrets-sync", binary));
    const result = await run("systemd-analyze", ["verify", "--man=no", unit]);
    assertEquals(result.code, 0, result.stderr);
    // Unknown or misspelt settings are only warnings: any output is a failure here.
    assertEquals(result.stderr.trim(), "");
  },
});

Deno.test({
  name: "the systemd unit is hardened (systemd-analyze security exposure below 2.0)",
  ignore: !systemdAnalyze,
  async fn() {
    await using dir = await tmpDir();
    const unit = dir.join("secrets-sync.service");
    await Deno.copyFile(`${ROOT}${UNIT}`, unit);
    const result = await run("systemd-analyze", ["security", "--offline=true", "--no-pager", unit]);
    const score = /Overall exposure level for \S+: ([0-9.]+)/.exec(result.stdout)?.[1];
    assert(score !== undefined, result.stdout + result.stderr);
    assert(Number(score) < 2.0, `exposure ${score}\n${result.stdout}`);
  },
});

Deno.test("the systemd unit reloads with SIGHUP and keeps credentials off the command line", async () => {
  const text = await Deno.readTextFile(`${ROOT}${UNIT}`);
  const settings = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  const one = (key: string) => settings.get(key)?.at(-1);
  assertEquals(one("ExecReload"), "/bin/kill -HUP $MAINPID");
  assertEquals(one("Restart"), "on-failure");
  assertEquals(one("ProtectSystem"), "strict");
  assertEquals(one("NoNewPrivileges"), "yes");
  assertEquals(one("PrivateTmp"), "yes");
  assertEquals(one("CapabilityBoundingSet"), "");
  assertEquals(one("ReadWritePaths"), "/secrets");
  const execStart = one("ExecStart") ?? "";
  assertMatch(execStart, /^\/usr\/local\/bin\/secrets-sync run /);
  assertEquals(/token|role.?id|secret.?id/i.test(execStart), false, execStart);
  assert(inside("/secrets", await sidecarWritePaths()));
});
