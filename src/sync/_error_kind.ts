/** Classifies an error into the short kind used in results, metrics labels and readiness. */
export function errorKind(error: unknown): string {
  if (error && typeof error === "object") {
    const kind = (error as { kind?: unknown }).kind;
    if (typeof kind === "string") return kind;
    const name = (error as { name?: unknown }).name;
    if (name === "TemplateError") return "template";
    if (name === "SinkError") return "write";
    if (name === "CircuitOpenError") return "circuit_open";
    if (name === "AbortError") return "aborted";
    if (name === "TimeoutError") return "timeout";
  }
  return "internal";
}

/** True for the kinds that mean "the secret is not there (any more)". */
export function isMissingKind(kind: string): boolean {
  return kind === "not_found" || kind === "deleted" || kind === "destroyed";
}
