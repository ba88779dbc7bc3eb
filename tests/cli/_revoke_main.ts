/**
 * Test harness: starts `run` in-process after giving back the permissions the config does not
 * need — as `main.ts` will once the preflight is wired in — so a test can check that the sidecar
 * still syncs after `revokeUnneeded()`. Prints `revoked: <flags>` first.
 *
 * Usage: deno run <flags> tests/cli/_revoke_main.ts <config.yaml>
 */
import { runCommand } from "../../src/cli/run.ts";
import { revokeUnneeded } from "../../src/cli/_preflight.ts";
import { loadConfig } from "../../src/config/mod.ts";

const configPath = Deno.args[0]!;
const env = (name: string) => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
};
const plan = await loadConfig(configPath, { env });
const revoked = await revokeUnneeded(plan, { watch: plan.settings.watch });
console.log(`revoked: ${revoked.join(" ")}`);
const controller = new AbortController();
Deno.addSignalListener("SIGTERM", () => controller.abort());
Deno.exit(await runCommand({ configPath, env, signal: controller.signal }));
