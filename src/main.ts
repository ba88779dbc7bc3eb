/**
 * secrets-sync: the entry point. Parses the command line, picks a command, turns results into exit
 * codes. No logic beyond wiring lives here.
 *
 * @module
 */
import { parseArgs, UsageError } from "./cli/args.ts";
import { helpText } from "./cli/help.ts";
import { versionText } from "./cli/version.ts";
// Directly, not through config/mod.ts: that would load zod and yaml into every `isready`.
import { findConfigFile } from "./config/find_config_file.ts";
import { shutdownSignal } from "./cli/shutdown_signal.ts";

// Commands are imported when chosen, so that `isready` (a healthcheck run every few seconds)
// does not pay for loading the whole program.

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env for this name: treat as unset
  }
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Aborts on SIGTERM/SIGINT; a second signal (not the same one delivered twice) exits at once. */
function stopSignal(): AbortSignal {
  return shutdownSignal({ exit: (code) => Deno.exit(code) });
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (args.flags.help === true || args.command === "help") {
    console.log(helpText());
    return 0;
  }
  const configPath = () =>
    findConfigFile({ ...(args.config ? { flag: args.config } : {}), env, exists });
  switch (args.command) {
    case "version":
      console.log(versionText());
      return 0;
    case "run": {
      const { runCommand } = await import("./cli/run.ts");
      return await runCommand({
        configPath: configPath(),
        env,
        signal: stopSignal(),
        onReloadRequest: (reload) => {
          const listener = () => reload();
          Deno.addSignalListener("SIGHUP", listener);
          return () => Deno.removeSignalListener("SIGHUP", listener);
        },
      });
    }
    case "once": {
      const timeout = args.flags.timeout;
      const { onceCommand } = await import("./cli/once.ts");
      const { parseDuration } = await import("./config/mod.ts");
      return await onceCommand({
        configPath: configPath(),
        env,
        signal: stopSignal(),
        ...(typeof timeout === "string" ? { timeoutMs: parseDuration(timeout) } : {}),
      });
    }
    case "isready": {
      let path: string | undefined;
      try {
        path = configPath();
      } catch {
        path = undefined;
      }
      const { isreadyCommand } = await import("./cli/isready.ts");
      return await isreadyCommand({ ...(path ? { configPath: path } : {}), env });
    }
    case "convert": {
      const input = args.positional[0];
      if (input === undefined) {
        console.error("Cannot convert: name a file, or - for standard input (see --help)");
        return 2;
      }
      const { convertCommand } = await import("./cli/convert.ts");
      const mountPath = args.flags["mount-path"];
      const outputDir = args.flags["output-dir"];
      return await convertCommand({
        input,
        ...(typeof mountPath === "string" ? { mountPath } : {}),
        ...(typeof outputDir === "string" ? { outputDir } : {}),
        out: (text) => void Deno.stdout.writeSync(new TextEncoder().encode(text)),
        err: (line) => console.error(line),
      });
    }
    case "validate": {
      const { validateCommand } = await import("./cli/validate.ts");
      return await validateCommand({
        configPath: configPath(),
        env,
        online: args.flags.online === true,
        out: (line) => console.log(line),
        err: (line) => console.error(line),
      });
    }
    case "init": {
      const { initCommand } = await import("./cli/init.ts");
      return initCommand({ out: (line) => console.log(line) });
    }
    case "permissions": {
      const { permissionsCommand } = await import("./cli/permissions.ts");
      return await permissionsCommand({
        configPath: configPath(),
        env,
        out: (line) => console.log(line),
        err: (line) => console.error(line),
      });
    }
    default:
      console.error(`Cannot run "${args.command}"`);
      return 2;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
