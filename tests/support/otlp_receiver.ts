/**
 * A tiny OTLP/HTTP trace receiver for tests: listens on 127.0.0.1 on a free port, accepts
 * `POST /v1/traces` as `application/json` (OTLP/JSON) or `application/x-protobuf` (decoded by a
 * minimal field walk), and records each span's name, attributes and status.
 *
 * @example
 * ```ts
 * await using receiver = startOtlpReceiver();
 * // run a child with OTEL_DENO=true OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint
 * const span = await receiver.waitForSpan("vault.read", { timeoutMs: 5000 });
 * ```
 *
 * @module
 */

/** One received span. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  parentSpanId: string;
  attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  /** Tracer (instrumentation scope) name. */
  scope: string;
}

/** A running receiver. */
export interface OtlpReceiver extends AsyncDisposable {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint: string;
  /** Every span received so far. */
  spans: ReceivedSpan[];
  /** Content types of the requests received so far. */
  contentTypes: string[];
  /** Raw request bodies, to check that something never left the process. */
  bodies: Uint8Array[];
  /** Resolves with the first span of that name, or rejects after the timeout. */
  waitForSpan(name: string, options?: { timeoutMs?: number }): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 on a free port. */
export function startOtlpReceiver(): OtlpReceiver {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const bodies: Uint8Array[] = [];
  const waiters = new Set<() => void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const { pathname } = new URL(req.url);
    if (req.method !== "POST" || pathname !== "/v1/traces") {
      await req.body?.cancel();
      return new Response(null, { status: 404 });
    }
    const type = req.headers.get("content-type") ?? "";
    contentTypes.push(type);
    const body = new Uint8Array(await req.arrayBuffer());
    bodies.push(body);
    try {
      if (type.includes("json")) {
        spans.push(...spansFromJson(JSON.parse(new TextDecoder().decode(body))));
        for (const wake of waiters) wake();
        return Response.json({});
      }
      spans.push(...spansFromProtobuf(body));
      for (const wake of waiters) wake();
      // An empty ExportTraceServiceResponse.
      return new Response(new Uint8Array(), {
        headers: { "content-type": "application/x-protobuf" },
      });
    } catch (error) {
      return new Response(String(error), { status: 400 });
    }
  });
  const close = async () => {
    await server.shutdown();
  };
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    spans,
    contentTypes,
    bodies,
    waitForSpan(name, options = {}) {
      const { timeoutMs = 10_000 } = options;
      return new Promise((resolve, reject) => {
        const check = () => {
          const span = spans.find((s) => s.name === name);
          if (span === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(span);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No span "${name}" within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

// ---- OTLP/JSON -------------------------------------------------------------------------------

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
}

interface JsonSpan {
  name: string;
  traceId?: string;
  parentSpanId?: string;
  attributes?: Array<{ key: string; value: JsonAnyValue }>;
  status?: { code?: number; message?: string };
}

interface JsonExport {
  resourceSpans?: Array<{
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: JsonSpan[] }>;
  }>;
}

function spansFromJson(request: JsonExport): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resource of request.resourceSpans ?? []) {
    for (const scopeSpans of resource.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const attributes: ReceivedSpan["attributes"] = {};
        for (const { key, value } of span.attributes ?? []) {
          const v = value.stringValue ?? value.boolValue ?? value.doubleValue ??
            (value.intValue === undefined ? undefined : Number(value.intValue));
          if (v !== undefined) attributes[key] = v;
        }
        out.push({
          name: span.name,
          traceId: span.traceId ?? "",
          parentSpanId: span.parentSpanId ?? "",
          attributes,
          statusCode: span.status?.code ?? 0,
          statusMessage: span.status?.message ?? "",
          scope: scopeSpans.scope?.name ?? "",
        });
      }
    }
  }
  return out;
}

// ---- OTLP/protobuf (minimal field walk of ExportTraceServiceRequest) -------------------------

type Field = { number: number; wire: number; value: bigint | Uint8Array };

/** Reads the top-level fields of one protobuf message. */
function fields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new RangeError("truncated varint");
      const byte = bytes[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > bytes.length) throw new RangeError("truncated field");
    const slice = bytes.subarray(pos, pos + n);
    pos += n;
    return slice;
  };
  while (pos < bytes.length) {
    const tag = Number(varint());
    const number = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ number, wire, value: varint() });
    else if (wire === 1) out.push({ number, wire, value: take(8) });
    else if (wire === 2) out.push({ number, wire, value: take(Number(varint())) });
    else if (wire === 5) out.push({ number, wire, value: take(4) });
    else throw new RangeError(`unsupported wire type ${wire}`);
  }
  return out;
}

function sub(all: Field[], number: number): Uint8Array[] {
  return all.filter((f) => f.number === number && f.value instanceof Uint8Array)
    .map((f) => f.value as Uint8Array);
}

function text(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? "" : new TextDecoder().decode(bytes);
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? "" : [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function anyValue(bytes: Uint8Array): string | number | boolean | undefined {
  const [field] = fields(bytes);
  if (field === undefined) return undefined;
  switch (field.number) {
    case 1: // string_value
      return text(field.value as Uint8Array);
    case 2: // bool_value
      return field.value !== 0n;
    case 3: // int_value
      return Number(BigInt.asIntN(64, field.value as bigint));
    case 4: { // double_value (fixed64)
      const raw = field.value as Uint8Array;
      return new DataView(raw.buffer, raw.byteOffset, 8).getFloat64(0, true);
    }
  }
  return undefined;
}

function spansFromProtobuf(body: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of sub(fields(body), 1)) {
    for (const scopeSpans of sub(fields(resourceSpans), 2)) {
      const scopeFields = fields(scopeSpans);
      const scope = text(sub(fields(sub(scopeFields, 1)[0] ?? new Uint8Array()), 1)[0]);
      for (const spanBytes of sub(scopeFields, 2)) {
        const span = fields(spanBytes);
        const attributes: ReceivedSpan["attributes"] = {};
        for (const kv of sub(span, 9)) {
          const kvFields = fields(kv);
          const value = sub(kvFields, 2)[0];
          const decoded = value === undefined ? undefined : anyValue(value);
          if (decoded !== undefined) attributes[text(sub(kvFields, 1)[0])] = decoded;
        }
        const status = fields(sub(span, 15)[0] ?? new Uint8Array());
        const code = status.find((f) => f.number === 3)?.value;
        out.push({
          name: text(sub(span, 5)[0]),
          traceId: hex(sub(span, 1)[0]),
          parentSpanId: hex(sub(span, 4)[0]),
          attributes,
          statusCode: typeof code === "bigint" ? Number(code) : 0,
          statusMessage: text(sub(status, 2)[0]),
          scope,
        });
      }
    }
  }
  return out;
}
