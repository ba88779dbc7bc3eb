/**
 * How Vault data is handed to templates.
 *
 * Numbers become Go `json.Number` values (they print exactly as stored, as in the seed tool, so
 * `port: 5432` renders `5432` and `1000000` does not turn into `1e+06`). Strings, booleans, lists and
 * maps pass through. The consul-template style `secret` function returns the response shaped like
 * consul-template's Secret (`.Data`, `.LeaseID`, `.LeaseDuration`, `.Renewable`, `.Warnings`).
 *
 * @module
 */
import { jsonNumber } from "../template/mod.ts";

/** Converts KV data for a template. Pure. */
export function toTemplateData(value: unknown, depth = 0): unknown {
  if (depth > 64) return value;
  if (typeof value === "number") return jsonNumber(String(value));
  if (Array.isArray(value)) return value.map((v) => toTemplateData(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toTemplateData(v, depth + 1);
    return out;
  }
  return value;
}

/** Shapes a raw Vault response body like consul-template's `secret` result. Pure. */
export function toConsulTemplateSecret(body: Record<string, unknown>): Record<string, unknown> {
  return {
    RequestID: body.request_id ?? "",
    LeaseID: body.lease_id ?? "",
    LeaseDuration: body.lease_duration ?? 0,
    Renewable: body.renewable ?? false,
    Data: toTemplateData(body.data ?? {}),
    Warnings: body.warnings ?? [],
  };
}

/**
 * Shapes a `pki/issue` response like consul-template's `pkiCert` result: `.Cert`, `.Key`, `.CA`
 * and `.CAChain` (PEM, each ending in a newline), also under `.Data`. Pure.
 */
export function toPkiCert(body: Record<string, unknown>): Record<string, unknown> {
  const data = (body.data ?? {}) as Record<string, unknown>;
  const pem = (value: unknown) =>
    typeof value === "string" && value !== "" ? (value.endsWith("\n") ? value : `${value}\n`) : "";
  const chain = Array.isArray(data.ca_chain) ? data.ca_chain.map(pem) : [];
  const fields = {
    Cert: pem(data.certificate),
    Key: pem(data.private_key),
    CA: pem(data.issuing_ca),
    CAChain: chain,
  };
  return { ...fields, Data: { ...fields } };
}
