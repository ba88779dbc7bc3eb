/**
 * A temporary directory that removes itself: `await using dir = await tmpDir()`.
 *
 * @module
 */

/** A temp directory handle. */
export interface TmpDir extends AsyncDisposable {
  path: string;
  /** Joins `name` onto the directory. */
  join(...parts: string[]): string;
}

/** Creates a temporary directory removed on dispose. */
export async function tmpDir(prefix = "secrets-sync-test-"): Promise<TmpDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    join: (...parts) => [path, ...parts].join("/"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
