/**
 * `convert FILE|- [--mount-path M] [--output-dir DIR]`: External Secrets Operator manifests →
 * a secrets-sync config on stdout; every field not carried over is a warning on stderr. Exit 0 on
 * success (warnings allowed), 1 when the input cannot be read or has errors. Never talks to Vault
 * and never runs another program.
 *
 * @module
 */
import {
  ConfigError,
  convertManifests,
  formatConfigIssue,
  MAX_CONFIG_BYTES,
} from "../config/mod.ts";

/** Options of {@linkcode convertCommand}. */
export interface ConvertCommandOptions {
  /** Path of the manifest file, or `-` for standard input. */
  input: string;
  /** Mount for keys whose store has no `path` (and when there is no store document). */
  mountPath?: string;
  /** Directory that receives one directory per target. @default "/secrets" */
  outputDir?: string;
  /** Reads standard input. @default reads Deno.stdin */
  readStdin?: () => Promise<string>;
  /** Receives the converted config (the whole YAML text). */
  out: (text: string) => void;
  /** Receives warnings and errors, one line each. */
  err: (line: string) => void;
}

/**
 * Converts the input; resolves with the exit code. Needs `--allow-read` for `input`.
 *
 * @example
 * ```ts ignore
 * const code = await convertCommand({ input: "external-secret.yaml", out: console.log, err: console.error });
 * ```
 */
export async function convertCommand(options: ConvertCommandOptions): Promise<number> {
  const { input, out, err, readStdin = readAllStdin } = options;
  if (input === "") {
    err("Cannot convert: give a manifest file or - for standard input");
    return 1;
  }
  if (options.outputDir !== undefined && !options.outputDir.startsWith("/")) {
    err(`Cannot convert: --output-dir must be an absolute path, got "${options.outputDir}"`);
    return 1;
  }
  const file = input === "-" ? "<stdin>" : input;
  let text: string;
  try {
    text = input === "-" ? await readStdin() : await Deno.readTextFile(input);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (error as Error).message;
    err(`Cannot read "${file}": ${reason}`);
    return 1;
  }
  if (text.length > MAX_CONFIG_BYTES) {
    err(`Cannot convert "${file}": too large (at most ${MAX_CONFIG_BYTES} bytes)`);
    return 1;
  }
  try {
    const result = convertManifests(text, {
      file,
      ...(options.mountPath !== undefined ? { mountPath: options.mountPath } : {}),
      ...(options.outputDir !== undefined ? { outputDir: options.outputDir } : {}),
    });
    for (const warning of result.warnings) err(`warning: ${formatConfigIssue(warning)}`);
    out(result.yaml);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) err(`error: ${formatConfigIssue(issue)}`);
    return 1;
  }
}

async function readAllStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}
