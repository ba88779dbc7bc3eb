/**
 * A TCP-level fault-injecting proxy for integration tests: it sits in front of a real server
 * (OpenBao) and refuses, drops, delays, resets or answers with an error status on demand, so
 * clients are tested against real sockets, never mocks.
 *
 * How requests are told apart: the proxy parses just enough HTTP/1.1 to find message boundaries
 * (request and response heads; bodies by Content-Length, chunked encoding, "no body" for HEAD,
 * 1xx, 204 and 304, and read-until-close) and keeps client connections alive as the backend does.
 * So the mode is applied per request even when `fetch` reuses a pooled connection, and
 * `requests` counts real requests. Each client connection gets its own upstream connection.
 *
 * Modes:
 * - `pass`: forward as is.
 * - `refuse`: the proxy stops listening (connect → ECONNREFUSED) and closes open connections;
 *   the same port listens again when another mode is set. Inside `sequence`/`rate` (per request),
 *   the connection is closed without an answer instead.
 * - `drop`: read the request and never answer; the connection stays open until the client gives
 *   up or the proxy closes (the client must time out).
 * - `delay`: wait `ms`, then forward.
 * - `reset`: forward, send the response head and half the body (half the head when the body is
 *   empty), then close the connection mid-response. The client sees a truncated message (Deno
 *   exposes no SO_LINGER, so the close is a FIN rather than an RST; clients fail the same way).
 * - `status`: answer at once, without forwarding, with a Vault-style `{"errors":[...]}` body.
 * - `sequence`: the i-th request after `setMode` (counted over all connections) gets
 *   `modes[i]`; the last one repeats.
 * - `rate`: every `failEvery`-th request gets `fail` (default: status 503), the others pass.
 *
 * Not supported: TLS (the proxy reads HTTP/1.1 in clear text; put it in front of a plain-HTTP
 * listener), HTTP/2, `Expect: 100-continue`, protocol upgrades. Upstream connect failures close
 * the client's connection without an answer.
 *
 * @example
 * ```ts
 * await using proxy = await startFaultProxy("http://127.0.0.1:8200");
 * proxy.setMode({ kind: "status", status: 503 });
 * const res = await fetch(`${proxy.address}/v1/sys/health`);
 * await res.body?.cancel();
 * ```
 *
 * @module
 */

/** What the proxy does with the next requests. */
export type FaultMode =
  | SimpleFaultMode
  | { kind: "sequence"; modes: SimpleFaultMode[] }
  | { kind: "rate"; failEvery: number; fail?: SimpleFaultMode };

/** A mode that applies to one request. */
export type SimpleFaultMode =
  | { kind: "pass" }
  | { kind: "refuse" }
  | { kind: "drop" }
  | { kind: "delay"; ms: number }
  | { kind: "reset" }
  | {
    kind: "status";
    status: number;
    /** Sent as the Retry-After header, seconds. */
    retryAfter?: number;
    /** The raw response body; default `{"errors":["fault proxy: <status> <reason>"]}`. */
    body?: string;
  };

/** A running proxy; `await using` closes it. */
export interface FaultProxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  readonly address: string;
  readonly port: number;
  /** The mode set last. */
  readonly mode: FaultMode;
  /** HTTP requests read from clients (in every mode but top-level `refuse`). */
  readonly requests: number;
  /** TCP connections accepted. */
  readonly connections: number;
  /** Client connections open now. */
  readonly openConnections: number;
  /** Changes the mode for requests read from now on; restarts the request index of sequences. */
  setMode(mode: FaultMode): void;
  /** Stops listening, closes every connection and waits for all handlers to finish. */
  close(): Promise<void>;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_REQUESTS_PER_CONNECTION = 100_000;
const MAX_CHUNKS = 1_000_000;
const MAX_INTERIM_RESPONSES = 16;

const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  412: "Precondition Failed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * Starts a proxy on 127.0.0.1 (a port chosen by the OS) that forwards to `target`, in `pass`
 * mode. Needs `--allow-net`.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const url = new URL(target);
  if (url.protocol !== "http:") {
    throw new TypeError(`Cannot proxy "${target}": only http:// targets are supported`);
  }
  const upstream = {
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port || 80),
  };
  const proxy = new TcpFaultProxy(upstream);
  await Promise.resolve();
  return proxy;
}

class TcpFaultProxy implements FaultProxy {
  readonly #upstream: { hostname: string; port: number };
  readonly #closing = new AbortController();
  /** Every open connection, client and upstream, so close() can end them. */
  readonly #conns = new Set<Deno.Conn>();
  readonly #clients = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #port: number;
  #listener: Deno.Listener | undefined;
  #mode: FaultMode = { kind: "pass" };
  #modeIndex = 0;
  #requests = 0;
  #connections = 0;
  #closed = false;

  constructor(upstream: { hostname: string; port: number }) {
    this.#upstream = upstream;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#port = (listener.addr as Deno.NetAddr).port;
    this.#serve(listener);
  }

  get address(): string {
    return `http://127.0.0.1:${this.#port}`;
  }
  get port(): number {
    return this.#port;
  }
  get mode(): FaultMode {
    return this.#mode;
  }
  get requests(): number {
    return this.#requests;
  }
  get connections(): number {
    return this.#connections;
  }
  get openConnections(): number {
    return this.#clients.size;
  }

  setMode(mode: FaultMode): void {
    if (this.#closed) throw new Error("Cannot set the mode: the fault proxy is closed");
    validateMode(mode);
    this.#mode = mode;
    this.#modeIndex = 0;
    if (mode.kind === "refuse") {
      this.#listener?.close();
      this.#listener = undefined;
      for (const conn of this.#conns) closeQuietly(conn);
      this.#clients.clear();
    } else if (!this.#listener) {
      // Same port again, so clients that cached the address reconnect.
      let listener: Deno.Listener;
      try {
        listener = Deno.listen({ hostname: "127.0.0.1", port: this.#port });
      } catch (error) {
        throw new Error(`Cannot listen again on port ${this.#port} after "refuse"`, {
          cause: error,
        });
      }
      this.#serve(listener);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    this.#listener?.close();
    this.#listener = undefined;
    for (const conn of this.#conns) closeQuietly(conn);
    // Handlers finish once their connections are closed; no new task can start any more, so a
    // second round only sees tasks that were still registering.
    for (let round = 0; round < 10 && this.#tasks.size > 0; round++) {
      await Promise.allSettled([...this.#tasks]);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  #serve(listener: Deno.Listener): void {
    this.#listener = listener;
    this.#track((async () => {
      try {
        for await (const conn of listener) {
          if (this.#closed || this.#listener !== listener) {
            closeQuietly(conn);
            break;
          }
          this.#connections++;
          this.#track(this.#handle(conn));
        }
      } catch {
        // The listener was closed (refuse mode or close()).
      }
    })());
  }

  async #handle(client: Deno.Conn): Promise<void> {
    this.#conns.add(client);
    this.#clients.add(client);
    const session: Session = { client, reader: new Reader(client), upstream: undefined };
    try {
      for (let i = 0; i < MAX_REQUESTS_PER_CONNECTION && !this.#closed; i++) {
        const head = await session.reader.readHead();
        if (!head) break;
        const request = parseHead(head);
        const body = await readBody(session.reader, requestFraming(request));
        this.#requests++;
        const mode = this.#modeFor(this.#modeIndex++);
        const keepAlive = await this.#apply(mode, session, request, concat(head, body));
        if (!keepAlive) break;
      }
    } catch {
      // A broken or closed connection ends this session; the client sees it as such.
    } finally {
      closeQuietly(client);
      this.#conns.delete(client);
      this.#clients.delete(client);
      if (session.upstream) {
        closeQuietly(session.upstream.conn);
        this.#conns.delete(session.upstream.conn);
      }
    }
  }

  #modeFor(index: number): SimpleFaultMode {
    const mode = this.#mode;
    switch (mode.kind) {
      case "sequence":
        return mode.modes[Math.min(index, mode.modes.length - 1)]!;
      case "rate":
        return (index + 1) % mode.failEvery === 0
          ? mode.fail ?? { kind: "status", status: 503 }
          : { kind: "pass" };
      default:
        return mode;
    }
  }

  /** Handles one request; returns whether the client connection stays open. */
  async #apply(
    mode: SimpleFaultMode,
    session: Session,
    request: Head,
    raw: Uint8Array,
  ): Promise<boolean> {
    const clientWantsClose = hasToken(request, "connection", "close");
    switch (mode.kind) {
      case "refuse":
        return false;
      case "drop":
        // Swallow whatever else arrives; never answer.
        while (await session.reader.fill()) session.reader.discard();
        return false;
      case "status": {
        await writeAll(
          session.client,
          statusResponse(mode, { close: clientWantsClose, omitBody: request.method === "HEAD" }),
        );
        return !clientWantsClose;
      }
      case "delay":
        await abortableDelay(mode.ms, this.#closing.signal);
        break;
      case "pass":
      case "reset":
        break;
    }
    const response = await this.#forward(session, request, raw);
    if (!response) return false;
    if (mode.kind === "reset") {
      const bodyLength = response.bytes.length - response.headLength;
      const cut = bodyLength > 0
        ? response.headLength + Math.floor(bodyLength / 2)
        : Math.floor(response.headLength / 2);
      await writeAll(session.client, response.bytes.subarray(0, cut));
      return false;
    }
    await writeAll(session.client, response.bytes);
    return response.keepAlive && !clientWantsClose;
  }

  /** Sends the request upstream and reads one final response; undefined if upstream is gone. */
  async #forward(
    session: Session,
    request: Head,
    raw: Uint8Array,
  ): Promise<{ bytes: Uint8Array; headLength: number; keepAlive: boolean } | undefined> {
    for (let tries = 0; tries < 2; tries++) {
      const reused = session.upstream !== undefined;
      if (!session.upstream) {
        try {
          const conn = await Deno.connect(this.#upstream);
          if (this.#closed) {
            closeQuietly(conn);
            return undefined;
          }
          this.#conns.add(conn);
          session.upstream = { conn, reader: new Reader(conn) };
        } catch {
          return undefined; // target down: the client's connection is closed
        }
      }
      const { conn, reader } = session.upstream;
      let head: Uint8Array | null = null;
      const interim: Uint8Array[] = [];
      try {
        await writeAll(conn, raw);
        for (let i = 0; i < MAX_INTERIM_RESPONSES; i++) {
          head = await reader.readHead();
          if (!head) break;
          const status = parseHead(head).status;
          if (status < 100 || status >= 200 || status === 101) break;
          interim.push(head); // 1xx: forwarded before the final response
          head = null;
        }
      } catch {
        head = null;
      }
      if (!head) {
        closeQuietly(conn);
        this.#conns.delete(conn);
        session.upstream = undefined;
        // An idle keep-alive connection closed by the server: try once on a fresh one.
        if (reused && interim.length === 0) continue;
        return undefined;
      }
      const response = parseHead(head);
      const framing = responseFraming(request, response);
      const body = await readBody(reader, framing);
      const keepAlive = framing.kind !== "close" && !hasToken(response, "connection", "close");
      if (!keepAlive) {
        closeQuietly(conn);
        this.#conns.delete(conn);
        session.upstream = undefined;
      }
      const headLength = interim.reduce((n, h) => n + h.length, 0) + head.length;
      return { bytes: concat(...interim, head, body), headLength, keepAlive };
    }
    return undefined;
  }
}

interface Session {
  client: Deno.Conn;
  reader: Reader;
  upstream: { conn: Deno.Conn; reader: Reader } | undefined;
}

/** A parsed request or response head. */
interface Head {
  /** Request method, or "" for a response. */
  method: string;
  /** Response status, or 0 for a request. */
  status: number;
  headers: Map<string, string[]>;
}

type Framing =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

function parseHead(bytes: Uint8Array): Head {
  const lines = new TextDecoder("latin1").decode(bytes).split("\r\n");
  const start = lines[0] ?? "";
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  if (start.startsWith("HTTP/")) {
    const status = Number(start.split(" ")[1]);
    if (!Number.isInteger(status)) throw new Error(`Malformed status line: ${start}`);
    return { method: "", status, headers };
  }
  const method = start.split(" ")[0] ?? "";
  if (!/^[A-Z]+$/.test(method)) throw new Error(`Malformed request line: ${start}`);
  return { method, status: 0, headers };
}

function hasToken(head: Head, name: string, token: string): boolean {
  return (head.headers.get(name) ?? []).some((v) =>
    v.toLowerCase().split(",").some((t) => t.trim() === token)
  );
}

function contentLength(head: Head): number | undefined {
  const values = head.headers.get("content-length");
  if (!values) return undefined;
  const n = Number(values[0]);
  if (!Number.isInteger(n) || n < 0 || n > MAX_BODY_BYTES) {
    throw new Error(`Unsupported Content-Length: ${values[0]}`);
  }
  return n;
}

function requestFraming(request: Head): Framing {
  if (hasToken(request, "transfer-encoding", "chunked")) return { kind: "chunked" };
  const length = contentLength(request);
  return length ? { kind: "length", length } : { kind: "none" };
}

function responseFraming(request: Head, response: Head): Framing {
  if (request.method === "HEAD" || response.status === 204 || response.status === 304) {
    return { kind: "none" };
  }
  if (hasToken(response, "transfer-encoding", "chunked")) return { kind: "chunked" };
  const length = contentLength(response);
  if (length !== undefined) return length ? { kind: "length", length } : { kind: "none" };
  return { kind: "close" };
}

/** Reads a body as raw bytes (chunk framing included, to forward verbatim). */
async function readBody(reader: Reader, framing: Framing): Promise<Uint8Array> {
  switch (framing.kind) {
    case "none":
      return new Uint8Array(0);
    case "length":
      return await reader.readExact(framing.length);
    case "close":
      return await reader.readToEnd();
    case "chunked": {
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < MAX_CHUNKS; i++) {
        const sizeLine = await reader.readLine();
        parts.push(sizeLine);
        const size = parseInt(new TextDecoder().decode(sizeLine).split(";")[0]!.trim(), 16);
        if (!Number.isInteger(size) || size < 0) throw new Error("Malformed chunk size");
        total += size;
        if (total > MAX_BODY_BYTES) throw new Error("Chunked body too large");
        if (size === 0) {
          // Trailers, up to the empty line.
          for (let t = 0; t < 1000; t++) {
            const line = await reader.readLine();
            parts.push(line);
            if (line.length === 2) return concat(...parts);
          }
          throw new Error("Too many trailers");
        }
        parts.push(await reader.readExact(size + 2));
      }
      throw new Error("Too many chunks");
    }
  }
}

function statusResponse(
  mode: { status: number; retryAfter?: number; body?: string },
  options: { close: boolean; omitBody: boolean },
): Uint8Array {
  const { close, omitBody } = options;
  const reason = REASONS[mode.status] ?? "Error";
  const body = new TextEncoder().encode(
    mode.body ?? JSON.stringify({ errors: [`fault proxy: ${mode.status} ${reason}`] }),
  );
  const lines = [
    `HTTP/1.1 ${mode.status} ${reason}`,
    "content-type: application/json",
    `content-length: ${body.length}`,
  ];
  if (mode.retryAfter !== undefined) lines.push(`retry-after: ${mode.retryAfter}`);
  if (close) lines.push("connection: close");
  const head = new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
  return omitBody ? head : concat(head, body);
}

function validateMode(mode: FaultMode, nested = false): void {
  switch (mode.kind) {
    case "pass":
    case "refuse":
    case "drop":
    case "reset":
      return;
    case "delay":
      if (!(mode.ms >= 0 && Number.isFinite(mode.ms))) {
        throw new RangeError(`Invalid fault mode "delay": ms must be >= 0, got ${mode.ms}`);
      }
      return;
    case "status":
      if (!Number.isInteger(mode.status) || mode.status < 200 || mode.status > 599) {
        throw new RangeError(
          `Invalid fault mode "status": status must be 200-599, got ${mode.status}`,
        );
      }
      return;
    case "sequence":
    case "rate":
      if (nested) throw new TypeError(`Invalid fault mode "${mode.kind}": cannot be nested`);
      if (mode.kind === "sequence") {
        if (mode.modes.length === 0) {
          throw new RangeError(`Invalid fault mode "sequence": modes must not be empty`);
        }
        for (const m of mode.modes) validateMode(m, true);
      } else {
        if (!Number.isInteger(mode.failEvery) || mode.failEvery < 1) {
          throw new RangeError(
            `Invalid fault mode "rate": failEvery must be an integer >= 1, got ${mode.failEvery}`,
          );
        }
        if (mode.fail) validateMode(mode.fail, true);
      }
      return;
    default:
      throw new TypeError(`Unknown fault mode: ${JSON.stringify(mode)}`);
  }
}

/** A buffered reader over a connection. */
class Reader {
  readonly #conn: Deno.Conn;
  readonly #scratch = new Uint8Array(64 * 1024);
  #buf = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads more bytes into the buffer; false at end of stream. */
  async fill(): Promise<boolean> {
    const n = await this.#conn.read(this.#scratch);
    if (n === null) return false;
    this.#buf = concat(this.#buf, this.#scratch.subarray(0, n));
    return true;
  }

  discard(): void {
    this.#buf = new Uint8Array(0);
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  #indexOf(pattern: number[], from: number): number {
    outer: for (let i = Math.max(0, from); i <= this.#buf.length - pattern.length; i++) {
      for (let j = 0; j < pattern.length; j++) {
        if (this.#buf[i + j] !== pattern[j]) continue outer;
      }
      return i;
    }
    return -1;
  }

  async #readUntil(pattern: number[], max: number): Promise<Uint8Array | null> {
    let scanned = 0;
    for (;;) {
      const at = this.#indexOf(pattern, scanned - pattern.length);
      if (at >= 0) return this.#take(at + pattern.length);
      scanned = this.#buf.length;
      if (scanned > max) throw new Error("Line or head too long");
      if (!(await this.fill())) {
        if (this.#buf.length === 0) return null;
        throw new Error("Connection closed mid-message");
      }
    }
  }

  /** A message head including its blank line; null on a clean end of stream. */
  readHead(): Promise<Uint8Array | null> {
    return this.#readUntil([13, 10, 13, 10], MAX_HEAD_BYTES);
  }

  async readLine(): Promise<Uint8Array> {
    const line = await this.#readUntil([13, 10], MAX_HEAD_BYTES);
    if (!line) throw new Error("Connection closed mid-message");
    return line;
  }

  async readExact(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) {
      if (!(await this.fill())) throw new Error("Connection closed mid-body");
    }
    return this.#take(n);
  }

  async readToEnd(): Promise<Uint8Array> {
    while (await this.fill()) {
      if (this.#buf.length > MAX_BODY_BYTES) throw new Error("Body too large");
    }
    return this.#take(this.#buf.length);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const n = await conn.write(bytes.subarray(offset));
    if (n <= 0) throw new Error("Write made no progress");
    offset += n;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
