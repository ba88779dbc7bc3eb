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

/** Largest credential file accepted, bytes: tokens and ids are short; `/dev/zero` is not. */
export const MAX_CREDENTIAL_BYTES = 64 * 1024;

/** The real file system. Needs `--allow-read` for the credential paths. */
export const DENO_CREDENTIAL_FS: CredentialFs = {
  async stat(path) {
    const info = await Deno.stat(path);
    return { mtimeMs: info.mtime?.getTime(), size: info.size, ino: info.ino };
  },
  readTextFile: (path) => readBounded(path, MAX_CREDENTIAL_BYTES),
};

/** Reads at most `limit` bytes of text; more is an error (a device like /dev/zero never ends). */
async function readBounded(path: string, limit: number): Promise<string> {
  using file = await Deno.open(path, { read: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(16 * 1024);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    total += n;
    if (total > limit) throw new Error(`file is larger than ${limit} bytes`);
    chunks.push(buffer.slice(0, n));
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

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
    let info: Awaited<ReturnType<CredentialFs["stat"]>>;
    try {
      info = await this.#fs.stat(this.path);
      signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch (err) {
      throw new Error(`Cannot read ${this.#what} "${this.path}": ${message(err)}`, { cause: err });
    }
    if (signature === this.#signature && this.#value !== undefined) {
      return this.#value;
    }
    if (info.size > MAX_CREDENTIAL_BYTES) {
      throw new Error(
        `Cannot read ${this.#what} "${this.path}": file is larger than ${MAX_CREDENTIAL_BYTES} bytes`,
      );
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
