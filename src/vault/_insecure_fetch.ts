/**
 * The `fetch` of a store with `tlsSkipVerify`: requests over Deno's `node:https`, which honours
 * `rejectUnauthorized: false` for its own connections. `Deno.createHttpClient` has no such option,
 * and `--unsafely-ignore-certificate-errors` would turn verification off for the whole process;
 * this turns it off for the store's addresses only, and only for this client.
 *
 * It speaks just what the transport uses: method, headers, a string body, an abort signal, no
 * redirects followed; the answer is a web `Response` whose body streams (so the size cap and the
 * deadline still apply). Needs `--allow-net` for the addresses, nothing else: the CA list is
 * always given, so Node's system-CA lookup (which would need `--allow-sys`) never runs.
 *
 * @module
 */
import type { Agent } from "node:https";
import type { IncomingMessage } from "node:http";

/** Options of {@linkcode createInsecureFetch}. */
export interface InsecureFetchOptions {
  /** Client certificate and key (mTLS), PEM. */
  cert?: string;
  key?: string;
  /** CA certificates, PEM (not used to verify; given so no system store is read). */
  caCerts?: string[];
}

/** A fetch without certificate verification, and how to close its connections. */
export interface InsecureFetch {
  fetch: typeof fetch;
  close(): void;
}

type Https = typeof import("node:https");
type Stream = typeof import("node:stream");

/** Creates the fetch; `node:https` is loaded on the first request. */
export function createInsecureFetch(options: InsecureFetchOptions = {}): InsecureFetch {
  let modules: Promise<{ https: Https; stream: Stream }> | undefined;
  let agent: Agent | undefined;
  let closed = false;
  const load = () =>
    modules ??= Promise.all([import("node:https"), import("node:stream")]).then((
      [https, stream],
    ) => ({ https: https.default ?? https, stream: stream.default ?? stream }));

  const insecureFetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== "https:") return await fetch(input, init);
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const { https, stream } = await load();
    if (closed) throw new TypeError("fetch failed: client closed");
    agent ??= new https.Agent({
      keepAlive: true,
      rejectUnauthorized: false,
      ca: options.caCerts ?? [],
      ...(options.cert !== undefined ? { cert: options.cert } : {}),
      ...(options.key !== undefined ? { key: options.key } : {}),
    });
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => headers[name] = value);
    const body = init.body ?? undefined;
    if (body !== undefined && typeof body !== "string") {
      throw new TypeError("fetch failed: only string bodies are supported");
    }
    return await new Promise<Response>((resolve, reject) => {
      const request = https.request(url, {
        method: init.method ?? "GET",
        headers,
        agent,
        rejectUnauthorized: false,
      }, (response: IncomingMessage) => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) answer.append(name, v);
        }
        const nullBody = response.statusCode === 204 || response.statusCode === 304;
        if (nullBody) response.resume();
        resolve(
          new Response(
            nullBody
              ? null
              : stream.Readable.toWeb(response) as unknown as ReadableStream<Uint8Array>,
            { status: response.statusCode ?? 502, headers: answer },
          ),
        );
      });
      const onAbort = () => request.destroy(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      request.on("close", () => signal?.removeEventListener("abort", onAbort));
      request.on("error", (err: Error) => {
        // Shaped like fetch's failures: a TypeError whose cause says what happened.
        reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: err }));
      });
      request.end(body);
    });
  };

  return {
    fetch: insecureFetch as typeof fetch,
    close() {
      closed = true;
      agent?.destroy();
    },
  };
}
