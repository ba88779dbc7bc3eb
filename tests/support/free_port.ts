/**
 * `freePort()`: a loopback TCP port nobody listens on right now, for servers a test starts on a
 * port of its choosing and for addresses that must refuse connections.
 *
 * @module
 */

/** A loopback TCP port nobody listens on right now (the kernel's pick). Needs --allow-net. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
