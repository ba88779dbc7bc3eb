/**
 * Puts the observability handler on a port: the one place `Deno.serve` appears.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";

const log = getLogger(["secrets-sync", "observe"]);

/** Options of {@linkcode serveObservability}. */
export interface ServeObservabilityOptions {
  /** Address to listen on, e.g. `0.0.0.0` or `127.0.0.1`. */
  hostname: string;
  /** Port; 0 picks a free one (see `addr`). */
  port: number;
  /** Aborting it shuts the server down. */
  signal?: AbortSignal;
}

/** A running observability server. */
export interface ObservabilityServer {
  /** Where it listens (the real port when 0 was asked for). */
  addr: Deno.NetAddr;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  shutdown(): Promise<void>;
}

/**
 * Serves `handler` over HTTP. Needs `--allow-net` for the address.
 *
 * @throws {RangeError} when the port is out of range.
 * @throws {Deno.errors.AddrInUse} when the port is taken.
 * @example
 * ```ts
 * const server = serveObservability(createHandler(deps), { hostname: "127.0.0.1", port: 9090 });
 * await server.shutdown();
 * ```
 */
export function serveObservability(
  handler: (request: Request) => Promise<Response>,
  options: ServeObservabilityOptions,
): ObservabilityServer {
  const { hostname, port, signal } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot serve observability endpoints: invalid port ${port}`);
  }
  const server = Deno.serve({
    hostname,
    port,
    ...(signal === undefined ? {} : { signal }),
    // Deno's default prints to stdout, which would break JSON Lines output.
    onListen: (addr) => {
      const { hostname, port } = addr as Deno.NetAddr;
      log.info("Serving health, readiness and metrics on {address}", {
        address: `${hostname}:${port}`,
      });
    },
    onError: (error) => {
      log.error("Cannot answer an observability request: {kind}", {
        kind: error instanceof Error ? error.name : typeof error,
      });
      return new Response('{"error":"internal error"}\n', {
        status: 500,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    },
  }, handler);
  return {
    addr: server.addr,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
