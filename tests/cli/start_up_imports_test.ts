import { assertEquals } from "../support/assert.ts";

interface InfoModule {
  specifier: string;
  dependencies?: Array<{ specifier: string; isDynamic?: boolean; code?: { specifier: string } }>;
}

/** What an entry module loads before it runs: the npm packages and `node:` builtins its static
 * (not dynamic) imports reach. `deno info` does not list what npm packages import themselves. */
interface StaticImports {
  /** Package names, sorted. */
  npm: string[];
  /** `node:` builtins, each with the module that imports it (`node:x <- src/...`), sorted. */
  node: string[];
}

async function staticImports(entry: string): Promise<StaticImports> {
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
  const root = new URL("../../", import.meta.url).href;
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const packages = new Set<string>();
  const builtins = new Set<string>();
  const visit = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      // Type-only imports have no `code`; dynamic imports load when called, not at start.
      if (dep.code === undefined || dep.isDynamic) continue;
      const target = dep.code.specifier;
      if (target.startsWith("npm:")) {
        packages.add(target.replace(/^npm:\/?((@[^/]+\/)?[^@/]+).*$/, "$1"));
      } else if (target.startsWith("node:")) {
        builtins.add(`${target} <- ${specifier.replace(root, "")}`);
      } else visit(target);
    }
  };
  visit(info.roots[0]!);
  return { npm: [...packages].sort(), node: [...builtins].sort() };
}

Deno.test("run loads prom-client only when metrics are served, through a dynamic import", async () => {
  const { npm } = await staticImports("../../src/cli/run.ts");
  assertEquals(npm.includes("prom-client"), false, npm.join(", "));
});

Deno.test("run and main import no node: builtin at start (node:crypto and node:https load when used)", async () => {
  // A node: builtin brings Deno's Node compatibility layer (node:crypto: +8.5 MiB, 40–60 ms).
  for (const entry of ["../../src/cli/run.ts", "../../src/main.ts"]) {
    const { node } = await staticImports(entry);
    assertEquals(node, [], entry);
  }
});
