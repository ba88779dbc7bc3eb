/**
 * CPU per KV read against a real OpenBao dev server when `readBodyCapped` reads the response body
 * through a stream reader counting chunks (what it does without a Content-Length, and did always
 * before issue 13) and in one piece with `arrayBuffer()` (a declared Content-Length), alternating. The client
 * process's CPU only (Linux /proc/self/stat); the server runs in its own process.
 *
 * Run: `deno run -A bench/body_read.ts [requests=3000] [rounds=3]` (needs `OPENBAO_BIN` or Go to
 * build OpenBao, see docs/testing.md)
 *
 * @module
 */
import { readBodyCapped } from "../src/vault/_response_body.ts";
import { startOpenBao } from "../tests/support/openbao.ts";

const requests = Number(Deno.args[0] ?? 3000);
const rounds = Number(Deno.args[1] ?? 3);

function cpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

await using bao = await startOpenBao();
await bao.writeKv2("secret", "bench/x", { username: "user-1", password: crypto.randomUUID() });
const url = `${bao.address}/v1/secret/data/bench/x`;
const decoder = new TextDecoder();
for (let round = 1; round <= rounds; round++) {
  for (const mode of ["stream reader", "arrayBuffer"] as const) {
    const cpu0 = cpuMs();
    for (let i = 0; i < requests; i++) {
      const response = await fetch(url, { headers: { "X-Vault-Token": bao.rootToken } });
      // Without its headers the same body has no declared length: readBodyCapped streams it.
      const bytes = mode === "arrayBuffer"
        ? await readBodyCapped(response, 1 << 20, "bench/x")
        : await readBodyCapped(new Response(response.body), 1 << 20, "bench/x");
      JSON.parse(decoder.decode(bytes));
    }
    console.log(
      `round ${round}, ${mode}: ${((cpuMs() - cpu0) / requests * 1000).toFixed(0)} µs CPU per read`,
    );
  }
}
