/**
 * An ExternalSecret's `data[]` and `dataFrom[].extract` entries → the Vault values a target reads
 * (location, pinned version, property, decoding).
 *
 * @module
 */

import type { KeyPath } from "../source_locator.ts";
import { asMap, asText, isSecretKey, type Raw, type Report } from "./_manifest.ts";
import type { Store } from "./_stores.ts";
import { locateKey, type VaultLocation } from "./_vault_path.ts";
import { type DecodingStrategy, propertyExpression } from "./_expressions.ts";

const DECODING: readonly DecodingStrategy[] = ["None", "Base64", "Base64URL", "Auto"];

/** One value a target reads. */
export interface Entry {
  kind: "data" | "extract";
  /** Secret key (data entries). */
  secretKey?: string;
  location: VaultLocation;
  version?: number;
  property?: string;
  decoding: DecodingStrategy;
  path: KeyPath;
}

/**
 * Reads `data[]` and `dataFrom[]` in order; `undefined` when an entry has an error (recorded in
 * `report`). Skipped entries (unsupported features) are warned about and left out.
 */
export function readEntries(
  spec: Raw,
  specPath: KeyPath,
  store: Store,
  report: Report,
): Entry[] | undefined {
  const entries: Entry[] = [];
  let ok = true;
  const data = spec["data"];
  if (data !== undefined && !Array.isArray(data)) {
    report.error([...specPath, "data"], "Expected a list");
    return undefined;
  }
  (data ?? []).forEach((item: unknown, i: number) => {
    const at = [...specPath, "data", i];
    const raw = asMap(item);
    if (raw === undefined) {
      ok = false;
      report.error(at, "Expected a map with secretKey and remoteRef");
      return;
    }
    const secretKey = asText(raw["secretKey"]);
    if (secretKey === undefined || secretKey === "") {
      ok = false;
      report.error(at, "Required: secretKey");
      return;
    }
    if (!isSecretKey(secretKey)) {
      ok = false;
      report.error(
        [...at, "secretKey"],
        `Invalid secretKey "${secretKey}": a Secret key (and file name) has only letters, digits, "-", "." and "_"`,
      );
      return;
    }
    if (raw["sourceRef"] !== undefined) {
      report.warn(
        [...at, "sourceRef"],
        "sourceRef (other stores, generators) is not supported: entry skipped",
      );
      return;
    }
    const entry = readRemoteRef(raw["remoteRef"], [...at, "remoteRef"], store, "data", report);
    if (entry === null) ok = false;
    if (entry === null || entry === undefined) return;
    entry.secretKey = secretKey;
    entries.push(entry);
  });
  const dataFrom = spec["dataFrom"];
  if (dataFrom !== undefined && !Array.isArray(dataFrom)) {
    report.error([...specPath, "dataFrom"], "Expected a list");
    return undefined;
  }
  (dataFrom ?? []).forEach((item: unknown, i: number) => {
    const at = [...specPath, "dataFrom", i];
    const raw = asMap(item) ?? {};
    for (const key of Object.keys(raw)) {
      if (key === "extract") continue;
      const why: Record<string, string> = {
        find:
          "find (by name regex or tags) depends on what exists in Vault at run time; list the paths under data[] or dataFrom[].extract",
        rewrite: "rewrite is not supported: keys keep their names",
        sourceRef: "sourceRef (other stores, generators) is not supported: entry skipped",
      };
      report.warn([...at, key], why[key] ?? "Not carried over");
    }
    if (raw["extract"] === undefined || raw["sourceRef"] !== undefined) return;
    const entry = readRemoteRef(raw["extract"], [...at, "extract"], store, "extract", report);
    if (entry === null) ok = false;
    if (entry === null || entry === undefined) return;
    entries.push(entry);
  });
  return ok ? entries : undefined;
}

/** `null`: an error was recorded; `undefined`: skipped with a warning. */
function readRemoteRef(
  value: unknown,
  at: KeyPath,
  store: Store,
  kind: Entry["kind"],
  report: Report,
): Entry | null | undefined {
  const raw = asMap(value);
  if (raw === undefined) {
    report.error(at, "Required: a map with key");
    return null;
  }
  const key = asText(raw["key"]);
  if (key === undefined || key === "") {
    report.error(at, "Required: key (the secret's path in Vault)");
    return null;
  }
  const location = locateKey(key, { mount: store.mount, kvVersion: store.kvVersion });
  if ("problem" in location) {
    report.error([...at, "key"], location.problem);
    return null;
  }
  const entry: Entry = { kind, location, decoding: "None", path: at };
  const property = raw["property"];
  if (property !== undefined) {
    entry.property = String(property);
    const { warning } = propertyExpression(".", entry.property);
    if (warning !== undefined) report.warn([...at, "property"], warning);
  }
  const version = raw["version"];
  if (version !== undefined) {
    const text = String(version);
    if (store.kvVersion === 1) {
      report.warn([...at, "version"], "KV v1 has no versions: ignored");
    } else if (!/^[1-9]\d{0,15}$/.test(text)) {
      report.error([...at, "version"], `Invalid version "${text}": expected a positive integer`);
      return null;
    } else entry.version = Number(text);
  }
  const decoding = raw["decodingStrategy"];
  if (decoding !== undefined) {
    if (!DECODING.includes(String(decoding) as DecodingStrategy)) {
      report.error(
        [...at, "decodingStrategy"],
        `Invalid decodingStrategy "${String(decoding)}": expected ${
          DECODING.map((d) => `"${d}"`).join(", ")
        }`,
      );
      return null;
    }
    entry.decoding = String(decoding) as DecodingStrategy;
    if (entry.decoding === "Auto") {
      report.warn(
        [...at, "decodingStrategy"],
        "Auto decodes standard and URL-safe base64; a value that is not base64 is not passed through unchanged",
      );
    }
  }
  const policy = raw["metadataPolicy"];
  if (policy !== undefined && policy !== "None") {
    report.warn(
      [...at, "metadataPolicy"],
      `metadataPolicy ${String(policy)} (reading KV metadata) is not supported: entry skipped`,
    );
    return undefined;
  }
  const conversion = raw["conversionStrategy"];
  if (conversion !== undefined && conversion !== "Default") {
    report.warn(
      [...at, "conversionStrategy"],
      `conversionStrategy ${String(conversion)} is not supported: keys keep their names`,
    );
  }
  for (const field of Object.keys(raw)) {
    if (
      !["key", "property", "version", "decodingStrategy", "metadataPolicy", "conversionStrategy"]
        .includes(field)
    ) {
      report.warn([...at, field], "Not carried over");
    }
  }
  return entry;
}
