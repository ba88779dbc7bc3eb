/**
 * `promtool check metrics` without installing Prometheus: the Go program in
 * tests/support/promlint parses the text exposition with Prometheus' own parser (expfmt) and lints
 * it with client_golang's promlint, as promtool does. Built once into `.cache/go/` by
 * {@linkcode buildGoProgram}; needs Go.
 *
 * @example
 * ```ts
 * import { checkMetrics, requirePromlint } from "../support/promlint.ts";
 * const go = await requirePromlint(import.meta.url);
 * Deno.test({
 *   name: "metrics pass the lint",
 *   ignore: !go,
 *   async fn() {
 *     const { code, output } = await checkMetrics("# HELP up x\n# TYPE up gauge\nup 1\n");
 *     // code 0 and output "" when clean
 *   },
 * });
 * ```
 *
 * @module
 */
import { buildGoProgram } from "./go_program.ts";
import { requireTool } from "./requires.ts";

/** What the check found: promtool's exit code and its output. */
export interface CheckMetricsResult {
  /** 0 clean, 1 parse error, 3 lint problems (promtool's codes). */
  code: number;
  /** One `<metric> <problem>` line per problem, or the parse error; "" when clean. */
  output: string;
}

/** Options for {@linkcode checkMetrics}. */
export interface CheckMetricsOptions {
  /** Aborts the build or the check. */
  signal?: AbortSignal;
}

/**
 * Whether the linter can be built (Go is on PATH); prints the skip line when it cannot.
 * Needs --allow-run.
 */
export function requirePromlint(test: string | URL): Promise<boolean> {
  return requireTool("go", {
    test,
    skips: "the `promtool check metrics` lint (built from tests/support/promlint)",
    install: "install Go (https://go.dev/dl/)",
    args: ["version"],
  });
}

/**
 * Lints Prometheus text exposition like `promtool check metrics`.
 *
 * Needs --allow-read, --allow-write (.cache/) and --allow-run.
 * @throws {GoMissingError} when `go` is not on PATH
 * @throws {GoBuildError} when the linter does not build
 */
export async function checkMetrics(
  text: string,
  options: CheckMetricsOptions = {},
): Promise<CheckMetricsResult> {
  const { signal } = options;
  const binary = await buildGoProgram("promlint", signal ? { signal } : {});
  const child = new Deno.Command(binary, {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    ...(signal ? { signal } : {}),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}
