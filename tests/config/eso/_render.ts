/**
 * Renders a planned secret's files against fake Vault data the way the syncer does (the secret's
 * own path is the template data; other paths come from the `secret` function), so tests can check
 * what a converted ExternalSecret writes without a server.
 *
 * @module
 */

import type { SecretPlan } from "../../../src/config/mod.ts";
import { parse } from "../../../src/template/mod.ts";
import { toConsulTemplateSecret, toTemplateData } from "../../../src/sync/mod.ts";

/** KV data by API path, e.g. `{ "secret/data/app": { password: "x" } }` (KV v1: `mount/key`). */
export type FakeVault = Record<string, Record<string, unknown>>;

function apiPath(secret: SecretPlan): string {
  return secret.kvVersion === 1
    ? `${secret.mountPath}/${secret.key}`
    : `${secret.mountPath}/data/${secret.key}`;
}

/** Renders every file of `secret`: file path → content. Throws the first render error. */
export function renderSecret(secret: SecretPlan, vault: FakeVault): Record<string, string> {
  const own = vault[apiPath(secret)];
  if (own === undefined) throw new Error(`fake vault has no "${apiPath(secret)}"`);
  const functions = {
    secret: (path: unknown) => {
      const raw = String(path);
      const [bare = ""] = raw.split("?");
      const data = vault[bare];
      if (data === undefined) throw new Error(`fake vault has no "${bare}"`);
      const kv2 = bare.split("/")[1] === "data";
      return toConsulTemplateSecret({ data: kv2 ? { data, metadata: {} } : data });
    },
  };
  const out: Record<string, string> = {};
  for (const file of secret.files) {
    const source = secret.templates.find((t) => t.name === file.template)!.source;
    const template = parse(source, { name: file.template, functions });
    out[file.path] = template.execute(toTemplateData(own), {
      missingKey: secret.missingKey,
      functions,
    });
  }
  return out;
}
