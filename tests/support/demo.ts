/**
 * `deno task demo`: a local dev server (the test bed of tests/support), two example secrets, and the
 * sidecar on examples/config.yaml writing into ./demo-out/. Prints what it wrote — paths, sizes and
 * modes, never values — and stops cleanly on Ctrl-C. With DEMO_EXIT_AFTER_SYNC=1 it stops by itself
 * once the files are there (used by the tests).
 *
 * @module
 */
import { startOpenBao } from "./openbao.ts";
import { startSidecar } from "./sidecar.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const OUT = `${ROOT}demo-out`;
const FILES = ["db.env", "api-key.txt"];

function randomWord(): string {
  return crypto.randomUUID().slice(0, 8);
}

async function main(): Promise<number> {
  console.log("Starting a local OpenBao dev server (the real `bao server -dev`)…");
  let started;
  try {
    started = await startOpenBao();
  } catch (error) {
    console.error(`Cannot start the demo's dev server: ${(error as Error).message}`);
    console.error(
      "Without Go, run the sidecar against any Vault or OpenBao instead (README, 'Without Go').",
    );
    return 1;
  }
  await using bao = started;
  console.log(`  OpenBao v${bao.version} at ${bao.address}`);
  await bao.writeKv2("secret", "app/db", { username: "app", password: `demo-${randomWord()}` });
  await bao.writeKv2("secret", "app/api", { key: `key-${randomWord()}` });
  console.log("  seeded secret/app/db {username, password} and secret/app/api {key}");

  await Deno.remove(OUT, { recursive: true }).catch(() => {});
  console.log("Starting secrets-sync on examples/config.yaml (output in ./demo-out/)…");
  await using sidecar = startSidecar({
    args: ["run", "--config", `${ROOT}examples/config.yaml`],
    env: {
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
      OUTPUT_DIR: OUT,
      STATUS_FILE: `${OUT}/.status`,
      LOG_FORMAT: "json",
    },
  });
  await sidecar.waitFor(
    async () => {
      for (const name of FILES) {
        try {
          await Deno.stat(`${OUT}/${name}`);
        } catch {
          return false;
        }
      }
      return true;
    },
    "the demo files",
    30_000,
  );

  console.log("Wrote:");
  for (const name of FILES) {
    const info = await Deno.stat(`${OUT}/${name}`);
    const mode = ((info.mode ?? 0) & 0o777).toString(8).padStart(4, "0");
    console.log(`  demo-out/${name}  ${info.size} bytes  mode ${mode}`);
  }

  if (Deno.env.get("DEMO_EXIT_AFTER_SYNC") === "1") {
    sidecar.kill("SIGTERM");
    const status = await sidecar.status;
    console.log(`secrets-sync stopped (exit ${status.code})`);
    return status.code;
  }

  console.log("\nThe sidecar keeps the files in sync (refresh 10s). Change a secret with:");
  console.log(
    `  VAULT_ADDR=${bao.address} VAULT_TOKEN=<root token> bao kv put secret/app/api key=new`,
  );
  console.log("Press Ctrl-C to stop.");
  const stop = new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGINT", () => resolve());
    Deno.addSignalListener("SIGTERM", () => resolve());
  });
  await Promise.race([stop, sidecar.status]);
  // On Ctrl-C in a terminal the sidecar got the same SIGINT already; it takes this SIGTERM, a few ms
  // later, as the same request (not a second one that forces exit 130).
  sidecar.kill("SIGTERM");
  const status = await sidecar.status;
  console.log(`\nsecrets-sync stopped (exit ${status.code}); server stopped.`);
  return status.code;
}

Deno.exit(await main());
