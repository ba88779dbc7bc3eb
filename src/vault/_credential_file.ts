/**
 * A credential file (token, role-id, secret-id, wrapping token) that is re-read only when it
 * changes on disk: mtime, size or inode differ (a Kubernetes volume swaps a symlink; an editor
 * renames over the file).
 *
 * @module
 */

/** The file reads credentials need (injectable for tests). */
export interface CredentialFs {
  /** The file's change signature (follows symlinks). */
  stat(path: string): Promise<{ mtimeMs: number | undefined; size: number; ino: number | null }>;
  /** The file's content. */
  readTextFile(path: string): Promise<string>;
}

/** The real file system. Needs `--allow-read` for the credential paths. */
export const DENO_CREDENTIAL_FS: CredentialFs = {
  async stat(path) {
    const info = await Deno.stat(path);
    return { mtimeMs: info.mtime?.getTime(), size: info.size, ino: info.ino };
  },
  readTextFile: (path) => Deno.readTextFile(path),
};

/** A credential file's content, cached until the file changes. */
export class CredentialFile {
  readonly path: string;
  readonly #fs: CredentialFs;
  readonly #what: string;
  #signature: string | undefined;
  #value: string | undefined;

  /** `what` names the credential in messages (`"token file"`). */
  constructor(path: string, what: string, fs: CredentialFs = DENO_CREDENTIAL_FS) {
    this.path = path;
    this.#what = what;
    this.#fs = fs;
  }

  /**
   * The trimmed content; re-read only when the file's signature changed.
   *
   * @throws {Error} when the file cannot be read or is empty (message names the path, never the
   * content)
   */
  async read(): Promise<string> {
    let signature: string;
    try {
      const info = await this.#fs.stat(this.path);
      signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch (err) {
      throw new Error(`Cannot read ${this.#what} "${this.path}": ${message(err)}`, { cause: err });
    }
    if (signature === this.#signature && this.#value !== undefined) {
      return this.#value;
    }
    let text: string;
    try {
      text = await this.#fs.readTextFile(this.path);
    } catch (err) {
      throw new Error(`Cannot read ${this.#what} "${this.path}": ${message(err)}`, { cause: err });
    }
    const value = text.trim();
    if (value === "") throw new Error(`Cannot read ${this.#what} "${this.path}": file is empty`);
    this.#signature = signature;
    this.#value = value;
    return value;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
