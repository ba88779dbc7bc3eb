/**
 * The one domain error of the file sink.
 *
 * @module
 */

/** The step of a file operation that failed; callers branch on it (e.g. `"policy"` is permanent). */
export type SinkStep =
  | "stat"
  | "mkdir"
  | "open"
  | "write"
  | "fsync"
  | "chown"
  | "chmod"
  | "rename"
  | "read"
  | "limit"
  | "policy"
  | "remove";

/** Options of {@linkcode SinkError}. */
export interface SinkErrorOptions {
  /** The target file. */
  path: string;
  /** The step that failed. */
  step: SinkStep;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A file could not be written or removed. The message names the path and the reason, never the
 * content: `Cannot write "/data/app.env": permission denied (chown to owner "app")`.
 */
export class SinkError extends Error {
  override name = "SinkError";
  /** The target file. */
  readonly path: string;
  /** The step that failed. */
  readonly step: SinkStep;

  constructor(message: string, options: SinkErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.path = options.path;
    this.step = options.step;
  }
}

/** A short, content-free reason for an OS error, e.g. `permission denied`. */
export function describeOsError(err: unknown): string {
  if (err instanceof Deno.errors.NotCapable) {
    return "Deno permission missing (run with --allow-write/--allow-read for this path)";
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return isNotPermitted(err) ? "operation not permitted" : "permission denied";
  }
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.AlreadyExists) return "already exists";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  if (err instanceof Deno.errors.NotADirectory) return "a parent is not a directory";
  if (err instanceof Deno.errors.FilesystemLoop) return "too many levels of symbolic links";
  if (err instanceof Error) {
    // OS messages look like "No space left on device (os error 28): open '/x'": keep the first
    // part only, the path is already in our message.
    const head = err.message.split(/ \(os error \d+\)|: /)[0] ?? err.message;
    return head.length > 0 ? head.charAt(0).toLowerCase() + head.slice(1) : err.name;
  }
  return String(err);
}

/** EPERM (os error 1) as opposed to EACCES (13): both arrive as `PermissionDenied`. */
export function isNotPermitted(err: unknown): boolean {
  return err instanceof Error && /os error 1\)|not permitted/i.test(err.message);
}

/** What a file is when it is not a regular file, e.g. `"a directory"`. */
export function describeKind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice || info.isBlockDevice) return "a device";
  return "a special file";
}
