/**
 * The health/ready/metrics HTTP handler: a plain `(Request) => Promise<Response>`, testable
 * without a socket. {@linkcode serveObservability} puts it on a port.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Metrics } from "./metrics.ts";
import type { LivenessSnapshot, ReadinessSnapshot } from "./readiness.ts";

const log = getLogger(["secrets-sync", "observe"]);

/** What the handler reads; each function is called once per request. */
export interface HandlerDeps {
  readiness: () => ReadinessSnapshot;
  liveness: () => LivenessSnapshot;
  /** Omit to disable `/metrics` (404). */
  metrics?: Metrics;
}

/** Body of `/ready`: names, times and error kinds only. */
export interface ReadyBody {
  ready: boolean;
  reason?: string;
  secrets: Array<{
    name: string;
    status: string;
    /** ISO 8601 time of the last success, or null before the first. */
    lastSuccess: string | null;
    ageSeconds: number | null;
    lastErrorKind: string | null;
  }>;
}

/**
 * Creates the handler: `GET`/`HEAD` on `/health`, `/healthz` (200 alive, 503 not),
 * `/ready`, `/readyz` (200 ready, 503 not, JSON body), `/metrics` (404 when disabled); 404 for
 * other paths and 405 for other methods.
 *
 * @example
 * ```ts
 * const handler = createHandler({ readiness, liveness, metrics });
 * const response = await handler(new Request("http://localhost/readyz"));
 * ```
 */
export function createHandler(deps: HandlerDeps): (request: Request) => Promise<Response> {
  const { readiness, liveness, metrics } = deps;
  return async (request) => {
    const { pathname } = new URL(request.url);
    const route = ROUTES[pathname];
    if (route === undefined || (route === "metrics" && metrics === undefined)) {
      return respond(request, 404, { error: "not found" });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return respond(request, 405, { error: "method not allowed" }, { allow: "GET, HEAD" });
    }
    try {
      switch (route) {
        case "health": {
          const live = liveness();
          const body: Record<string, unknown> = { alive: live.alive };
          if (live.lastTickAgeMs !== undefined) body.lastTickAgeMs = live.lastTickAgeMs;
          return respond(request, live.alive ? 200 : 503, body);
        }
        case "ready": {
          const snapshot = readiness();
          return respond(request, snapshot.ready ? 200 : 503, readyBody(snapshot));
        }
        case "metrics": {
          const text = await metrics!.text();
          return new Response(request.method === "HEAD" ? null : text, {
            status: 200,
            headers: { "content-type": metrics!.contentType, "cache-control": "no-store" },
          });
        }
      }
    } catch (error) {
      // The error may come from anywhere below; log its kind only and answer without detail.
      log.error("Cannot answer {path}: {kind}", {
        path: pathname,
        kind: error instanceof Error ? error.name : typeof error,
      });
      return respond(request, 500, { error: "internal error" });
    }
  };
}

const ROUTES: Record<string, "health" | "ready" | "metrics" | undefined> = {
  "/health": "health",
  "/healthz": "health",
  "/ready": "ready",
  "/readyz": "ready",
  "/metrics": "metrics",
};

/** The `/ready` body of a snapshot. */
export function readyBody(snapshot: ReadinessSnapshot): ReadyBody {
  const body: ReadyBody = {
    ready: snapshot.ready,
    secrets: snapshot.secrets.map((secret) => ({
      name: secret.name,
      status: secret.status,
      lastSuccess: secret.lastSuccess === undefined
        ? null
        : new Date(secret.lastSuccess).toISOString(),
      ageSeconds: secret.ageMs === undefined ? null : Math.round(secret.ageMs / 100) / 10,
      lastErrorKind: secret.lastErrorKind ?? null,
    })),
  };
  if (snapshot.reason !== undefined) body.reason = snapshot.reason;
  return body;
}

function respond(
  request: Request,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(request.method === "HEAD" ? null : JSON.stringify(body) + "\n", {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}
