/**
 * Where an ESO `remoteRef.key` points in Vault, following the Vault provider's path building:
 * with a store `path` (the mount) the key is relative to it (a leading `<mount>/` and, for KV v2,
 * `data/` are cut); without one, the key's first segment is the mount and `/data/` is inserted
 * for KV v2 unless the key already contains it.
 *
 * @module
 */

/** A KV secret: mount, path inside it and engine version. */
export interface VaultLocation {
  mount: string;
  key: string;
  kvVersion: 1 | 2;
}

/** Resolves `key` against the store's mount (`undefined` when the store has none). */
export function locateKey(
  rawKey: string,
  store: { mount: string | undefined; kvVersion: 1 | 2 },
): VaultLocation | { problem: string } {
  const { kvVersion } = store;
  const key = rawKey.replace(/^\/+|\/+$/g, "");
  if (key === "") return { problem: "Invalid key: empty" };
  if (key.split("/").some((s) => s === "." || s === ".." || s === "")) {
    return { problem: `Invalid key "${rawKey}": empty, "." and ".." segments are not allowed` };
  }
  const mount = store.mount?.replace(/^\/+|\/+$/g, "");
  if (mount !== undefined && mount !== "") {
    let rest = key;
    if (rest.startsWith(`${mount}/`)) {
      rest = rest.slice(mount.length + 1);
      if (kvVersion === 2 && rest.startsWith("data/")) rest = rest.slice("data/".length);
    }
    if (rest === "") return { problem: `Invalid key "${rawKey}": names the mount, not a secret` };
    return { mount, key: rest, kvVersion };
  }
  if (kvVersion === 2) {
    const at = key.indexOf("/data/");
    if (at > 0) return { mount: key.slice(0, at), key: key.slice(at + "/data/".length), kvVersion };
  }
  const slash = key.indexOf("/");
  if (slash < 0) {
    return {
      problem:
        `Cannot tell the mount of key "${rawKey}": give it as "<mount>/${key}", set the store's path, or use --mount-path`,
    };
  }
  return { mount: key.slice(0, slash), key: key.slice(slash + 1), kvVersion };
}

/** The HTTP API path of a location, as the `secret` template function takes it. */
export function apiPath(location: VaultLocation): string {
  return location.kvVersion === 2
    ? `${location.mount}/data/${location.key}`
    : `${location.mount}/${location.key}`;
}
