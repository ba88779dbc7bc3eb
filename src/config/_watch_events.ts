/**
 * Helpers of the config watcher: which directory events concern the config file, and what
 * identifies the file's current version.
 *
 * @module
 */

/** The name of the last path segment. */
function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** What an event is compared against. */
export interface WatchedFile {
  /** The config path as configured. */
  path: string;
  /** Where it resolved to last time (through symlinks), if known. */
  realPath: string | undefined;
}

/**
 * Whether a directory event may have changed the config file: it names the file, its resolved
 * target, or a Kubernetes/Docker ConfigMap entry (`..data`, `..2024_01_01_…`, `..data_tmp`).
 * Plain reads (`access`) never count.
 */
export function isRelevantEvent(event: Deno.FsEvent, file: WatchedFile): boolean {
  if (event.kind === "access") return false;
  // Some platforms report a rescan with no paths: check rather than miss a change.
  if (event.paths.length === 0) return true;
  const names = new Set([basename(file.path)]);
  if (file.realPath !== undefined) names.add(basename(file.realPath));
  return event.paths.some((p) =>
    p === file.path || p === file.realPath || names.has(basename(p)) || basename(p).startsWith("..")
  );
}

/**
 * The resolved path and a SHA-256 of the content of `path`, or `undefined` when it does not exist
 * (as between the two steps of a symlink swap).
 *
 * @throws {Error} when the file exists but cannot be read.
 */
export async function configFingerprint(
  path: string,
): Promise<{ realPath: string; id: string } | undefined> {
  try {
    const realPath = await Deno.realPath(path);
    // Read through the configured path: only it (or its directory) needs --allow-read.
    const bytes = await Deno.readFile(path);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return { realPath, id: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
