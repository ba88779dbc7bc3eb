/**
 * CPU per KV read against a real OpenBao dev server when the response body is read through a
 * stream reader with a byte cap (`readBodyCapped` before issue 13) and in one piece with
 * `arrayBuffer()` (what it does now for a declared Content-Length), alternating. The client
 * process's CPU only (Linux /proc/self/stat); the server runs in its own process.
 *
 * Run: `deno run -A bench/body_read.ts [requests=3000] [rounds=3]` (needs `OPENBAO_BIN` or Go to
 * build OpenBao, see docs/testing.md)
 *
 * @module
 */
import { startOpenBao } from "../tests/support/openbao.ts";

const requests = Number(Deno.args[0] ?? 3000);
const rounds = Number(Deno.args[1] ?? 3);

function cpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The stream-reader way: chunks counted against the cap, then joined. */
async function viaReader(response: Response, maxBytes: number): Promise<Uint8Array> {
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) throw new Error("too large");
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
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
      const bytes = mode === "arrayBuffer"
        ? new Uint8Array(await response.arrayBuffer())
        : await viaReader(response, 1 << 20);
      JSON.parse(decoder.decode(bytes));
    }
    console.log(
      `round ${round}, ${mode}: ${((cpuMs() - cpu0) / requests * 1000).toFixed(0)} µs CPU per read`,
    );
  }
}
