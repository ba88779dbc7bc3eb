/**
 * Command-line parsing: `secrets-sync [command] [flags]`. Pure: `argv` in, a parsed command out.
 *
 * @module
 */

/** The commands the program knows. */
export const COMMANDS = [
  "run",
  "once",
  "isready",
  "validate",
  "init",
  "convert",
  "permissions",
  "version",
  "help",
] as const;

/** One of {@linkcode COMMANDS}. */
export type CommandName = typeof COMMANDS[number];

/** The parsed command line. */
export interface ParsedArgs {
  command: CommandName;
  /** `--config`/`-c`. */
  config?: string;
  /** Positional arguments after the command. */
  positional: string[];
  /** Other `--flag value` / `--flag=value` / `--switch` options, by name without dashes. */
  flags: Record<string, string | true>;
}

/** Thrown for a command line that cannot be understood. */
export class UsageError extends Error {
  override name = "UsageError";
}

const VALUE_FLAGS = new Set(["config", "mount-path", "output-dir", "timeout"]);
const SWITCHES = new Set(["help", "version", "online"]);

/**
 * Parses `argv` (without the program name).
 *
 * @throws {UsageError} on an unknown command or flag, or a flag missing its value
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  let config: string | undefined;
  let command: CommandName | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-c" || arg === "--config" || arg.startsWith("--config=")) {
      const value = arg.startsWith("--config=") ? arg.slice("--config=".length) : argv[++i];
      if (!value) throw new UsageError(`Cannot parse arguments: ${arg} needs a file path`);
      config = value;
    } else if (arg === "-h") {
      flags.help = true;
    } else if (arg === "-") {
      positional.push(arg);
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (SWITCHES.has(name) && eq === -1) {
        flags[name] = true;
      } else if (VALUE_FLAGS.has(name)) {
        const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
        if (value === undefined || value === "") {
          throw new UsageError(`Cannot parse arguments: --${name} needs a value`);
        }
        flags[name] = value;
      } else {
        throw new UsageError(`Cannot parse arguments: unknown flag "${arg}" (see --help)`);
      }
    } else if (arg.startsWith("-")) {
      throw new UsageError(`Cannot parse arguments: unknown flag "${arg}" (see --help)`);
    } else if (command === undefined && positional.length === 0) {
      if (!(COMMANDS as readonly string[]).includes(arg)) {
        throw new UsageError(
          `Cannot parse arguments: unknown command "${arg}" (commands: ${COMMANDS.join(", ")})`,
        );
      }
      command = arg as CommandName;
    } else {
      positional.push(arg);
    }
  }
  if (flags.version === true && command === undefined) command = "version";
  if (flags.help === true && command === undefined) command = "help";
  const parsed: ParsedArgs = { command: command ?? "run", positional, flags };
  if (config !== undefined) parsed.config = config;
  return parsed;
}
