import { assertEquals } from "../support/assert.ts";

interface InfoModule {
  specifier: string;
  dependencies?: Array<{ specifier: string; isDynamic?: boolean; code?: { specifier: string } }>;
}

/** npm packages that `src/cli/run.ts` loads before it runs: its static (not dynamic) imports. */
async function staticNpmPackages(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: InfoModule[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      // Type-only imports have no `code`; dynamic imports load when called, not at start.
      if (dep.code === undefined || dep.isDynamic) continue;
      const target = dep.code.specifier;
      if (target.startsWith("npm:")) {
        packages.add(target.replace(/^npm:\/?((@[^/]+\/)?[^@/]+).*$/, "$1"));
      } else visit(target);
    }
  };
  visit(info.roots[0]!);
  return [...packages].sort();
}

Deno.test("run loads prom-client only when metrics are served, through a dynamic import", async () => {
  const packages = await staticNpmPackages("../../src/cli/run.ts");
  assertEquals(packages.includes("prom-client"), false, packages.join(", "));
});
