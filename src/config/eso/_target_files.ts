/**
 * An ExternalSecret target → its files and their templates. Without a template each Secret key is
 * a file holding the fetched value; with one, each template key is a file whose template runs with
 * ESO's data (Secret key → value), built in front of the original template.
 *
 * @module
 */

import type { KeyPath } from "../source_locator.ts";
import { asMap, asText, isSecretKey, type Raw, type Report } from "./_manifest.ts";
import type { Entry } from "./_entries.ts";
import { apiPath } from "./_vault_path.ts";
import { bare, goString, propertyExpression, valueOperand, valueTemplate } from "./_expressions.ts";
import { splitLiteral } from "./_literal.ts";

/** Name of the template holding the ExternalSecret's original template. */
const DEFINE_NAME = "eso";

/** One file of a target. */
export interface TargetFile {
  /** The Secret key, also the file name. */
  key: string;
  template: string;
  /** Where it came from in the manifest. */
  origin: KeyPath;
}

/** The operand for an entry's secret data: `.` for the main path, else a `secret` call. */
function baseOf(entry: Entry, main: Entry): string {
  if (
    entry.location.mount === main.location.mount && entry.location.key === main.location.key &&
    entry.version === main.version
  ) return ".";
  const query = entry.version !== undefined ? `?version=${entry.version}` : "";
  const call = `(secret ${goString(apiPath(entry.location) + query)})`;
  return entry.location.kvVersion === 2 ? `${call}.Data.data` : `${call}.Data`;
}

/**
 * The files of a target: one per Secret key, each with the template that renders its value.
 * `undefined` when there is an error (recorded in `report`).
 */
export function targetFiles(
  target: Raw,
  targetPath: KeyPath,
  entries: Entry[],
  main: Entry,
  report: Report,
): TargetFile[] | undefined {
  const template = asMap(target["template"]);
  const tplPath = [...targetPath, "template"];
  const out = new Map<string, TargetFile>();
  const put = (key: string, text: string, origin: KeyPath) => {
    out.delete(key);
    out.set(key, { key, template: text, origin });
  };

  const providerFiles = () => {
    // ESO: dataFrom first, then data (a data key overrides an extracted one).
    for (const entry of entries.filter((e) => e.kind === "extract")) {
      const base = baseOf(entry, main);
      const source = entry.property === undefined || entry.property === ""
        ? base
        : propertyExpression(base, entry.property).expr;
      const label = (entry.location.key.split("/").at(-1) ?? "").replace(/[^-._a-zA-Z0-9]/g, "-") ||
        "secret";
      const key = `${label}.json`;
      report.warn(
        entry.path,
        `The keys of "${entry.location.mount}/${entry.location.key}" are known only at run time: all of them are written as one JSON file "${key}"; list the keys you need under data[] (one file each)`,
      );
      put(key, `{{ toJson ${source === "." ? "." : bare(source)} }}`, entry.path);
    }
    for (const entry of entries.filter((e) => e.kind === "data")) {
      const base = baseOf(entry, main);
      put(entry.secretKey!, valueTemplate(base, entry.property, entry.decoding), entry.path);
    }
  };

  if (template === undefined) {
    providerFiles();
    return [...out.values()];
  }

  for (const key of Object.keys(template)) {
    const at = [...tplPath, key];
    if (["data", "templateFrom", "mergePolicy"].includes(key)) continue;
    if (key === "engineVersion") {
      if (template[key] !== "v2") {
        report.warn(
          at,
          `engineVersion ${String(template[key])} is read as v2 (Go text/template with Sprig)`,
        );
      }
      continue;
    }
    if (key === "type" && (template[key] === "Opaque" || template[key] === undefined)) continue;
    report.warn(at, `${key} has no equivalent for files: not carried over`);
  }
  const mergePolicy = asText(template["mergePolicy"]) ?? "Replace";
  if (mergePolicy !== "Replace" && mergePolicy !== "Merge") {
    report.error(
      [...tplPath, "mergePolicy"],
      `Invalid mergePolicy "${mergePolicy}": expected "Replace" or "Merge"`,
    );
    return undefined;
  }

  const templates: Array<[string, string, KeyPath]> = [];
  const from = template["templateFrom"];
  if (Array.isArray(from)) {
    from.forEach((item: unknown, i: number) => {
      const at = [...tplPath, "templateFrom", i];
      const raw = asMap(item) ?? {};
      const targetKind = asText(raw["target"]) ?? "Data";
      for (const key of Object.keys(raw)) {
        if (key === "literal" || key === "target") continue;
        report.warn(
          [...at, key],
          `templateFrom.${key} reads a Kubernetes object: not supported, copy its templates into template.data`,
        );
      }
      const literal = asText(raw["literal"]);
      if (literal === undefined) return;
      if (targetKind !== "Data") {
        report.warn(
          [...at, "target"],
          `target ${targetKind} has no equivalent for files: not carried over`,
        );
        return;
      }
      const split = splitLiteral(literal);
      if (!split.ok) {
        report.warn(
          [...at, "literal"],
          `Cannot split the literal into keys statically (${split.problem}): not carried over`,
        );
        return;
      }
      for (const [key, text] of split.templates) templates.push([key, text, [...at, "literal"]]);
    });
  }
  const data = asMap(template["data"]) ?? {};
  for (const [key, value] of Object.entries(data)) {
    templates.push([key, typeof value === "string" ? value : String(value ?? ""), [
      ...tplPath,
      "data",
      key,
    ]]);
  }

  if (templates.length === 0) {
    // No data templates (e.g. only metadata): the Secret holds the provider's data.
    providerFiles();
    return [...out.values()];
  }
  if (mergePolicy === "Merge") providerFiles();
  const context = templateContext(entries, main, report);
  let ok = true;
  for (const [key, source, origin] of templates) {
    if (!isSecretKey(key)) {
      ok = false;
      report.error(
        origin,
        `Invalid key "${key}": a Secret key (and file name) has only letters, digits, "-", "." and "_"`,
        "key",
      );
      continue;
    }
    if (source.includes(`define "${DEFINE_NAME}"`)) {
      ok = false;
      report.error(origin, `The template name "${DEFINE_NAME}" is reserved by the conversion`);
      continue;
    }
    put(
      key,
      `${context}{{- template "${DEFINE_NAME}" $data }}\n{{- define "${DEFINE_NAME}" }}${source}{{ end -}}\n`,
      origin,
    );
  }
  return ok ? [...out.values()] : undefined;
}

/**
 * The data ESO hands to a template: a map of Secret key → value, strings as they are and
 * anything else JSON-encoded. Built with `dict` (data entries) merged over the extracted
 * secrets (a later `dataFrom` entry wins, as in ESO), one line per key.
 */
function templateContext(entries: Entry[], main: Entry, report: Report): string {
  let prelude = "";
  const pairs: string[] = [];
  let n = 0;
  const seen = new Set<string>();
  for (const entry of [...entries].reverse()) {
    if (entry.kind !== "data" || seen.has(entry.secretKey!)) continue;
    seen.add(entry.secretKey!);
    const value = valueOperand(
      baseOf(entry, main),
      entry.property,
      entry.decoding,
      `$v${n++}`,
    );
    if (value.prelude.length > 0) prelude = value.prelude.map((l) => `${l}\n`).join("") + prelude;
    pairs.unshift(`${goString(entry.secretKey!)} ${value.operand}`);
  }
  const extracts = entries.filter((e) => e.kind === "extract").reverse().map((entry) => {
    if (entry.decoding !== "None") {
      report.warn(
        [...entry.path, "decodingStrategy"],
        "decodingStrategy on dataFrom.extract is not applied in templates: decode with b64dec",
      );
    }
    const base = baseOf(entry, main);
    return entry.property === undefined || entry.property === ""
      ? base
      : propertyExpression(base, entry.property).expr;
  });
  const dict = pairs.length === 0 ? "dict" : `dict\n${pairs.map((p) => `      ${p}`).join("\n")}`;
  const value = extracts.length === 0 ? dict : `merge (${dict}) ${extracts.join(" ")}`;
  return "{{- /* the ExternalSecret's data: Secret key → value */}}\n" + prelude +
    `{{- $data := ${value} }}\n` +
    '{{- range $k, $v := $data }}{{ if not (kindIs "string" $v) }}{{ $_ := set $data $k (toJson $v) }}{{ end }}{{ end }}\n';
}
