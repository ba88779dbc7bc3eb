/**
 * POSIX path helpers for config paths (no I/O): the config runs on Linux and macOS.
 *
 * @module
 */

/** Whether `path` is absolute. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** Collapses `//`, `.` and `..` segments of an absolute path. */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return "/" + out.join("/");
}

/** Resolves `path` against the directory `base` (absolute). */
export function resolvePath(base: string, path: string): string {
  return normalize(isAbsolute(path) ? path : `${base}/${path}`);
}

/** The directory part of an absolute path. */
export function dirname(path: string): string {
  const normal = normalize(path);
  const slash = normal.lastIndexOf("/");
  return slash <= 0 ? "/" : normal.slice(0, slash);
}

/** Whether the path has a `..` segment. */
export function hasParentSegment(path: string): boolean {
  return path.split("/").includes("..");
}

/** Trims leading and trailing slashes (`/secret/` → `secret`): mounts, keys, namespaces. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}
