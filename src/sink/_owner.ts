/**
 * Resolves `owner`/`group` names to numeric ids by parsing /etc/passwd and /etc/group, as the
 * compiled binary has no libc NSS to ask (and containers rarely run nscd/LDAP anyway).
 *
 * @module
 */
import type { FsAdapter } from "./fs_adapter.ts";

/** Numeric ids to apply; `null` leaves that id unchanged. */
export interface ResolvedIds {
  uid: number | null;
  gid: number | null;
}

/** A name that could not be resolved; carries which database was searched. */
export class UnknownIdError extends Error {
  override name = "UnknownIdError";
  constructor(
    readonly kind: "owner" | "group",
    readonly value: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(
      options?.cause === undefined
        ? `unknown ${kind === "owner" ? "user" : "group"} "${value}" (not in ${file})`
        : `cannot look up ${kind === "owner" ? "user" : "group"} "${value}" (${file} unreadable)`,
      options,
    );
  }
}

/** Files consulted for names. */
export const PASSWD_FILE = "/etc/passwd";
export const GROUP_FILE = "/etc/group";

const NUMERIC = /^\d+$/;
const MAX_ID = 0xffff_fffe; // (uid_t)-1 means "unchanged" to chown(2), never a real id

/** Finds the id of `name` in a passwd/group style text (`name:x:id:...`). */
export function lookupId(text: string, name: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const fields = line.split(":");
    if (fields[0] === name && fields[2] !== undefined && NUMERIC.test(fields[2])) {
      return Number(fields[2]);
    }
  }
  return undefined;
}

/**
 * Resolves one owner or group (a name or a number) to its id; `null` when not set.
 *
 * @throws {UnknownIdError} for a name that is not in /etc/passwd or /etc/group (or that file is
 * unreadable); {@linkcode RangeError} for an id chown cannot take
 */
export async function resolveId(
  fs: FsAdapter,
  kind: "owner" | "group",
  value: string | undefined,
): Promise<number | null> {
  if (value === undefined || value === "") return null;
  if (NUMERIC.test(value)) {
    const id = Number(value);
    if (id > MAX_ID) throw new RangeError(`Invalid ${kind} "${value}": id out of range`);
    return id;
  }
  const file = kind === "owner" ? PASSWD_FILE : GROUP_FILE;
  let text: string;
  try {
    text = await fs.readTextFile(file);
  } catch (cause) {
    throw new UnknownIdError(kind, value, file, { cause });
  }
  const id = lookupId(text, value);
  if (id === undefined) throw new UnknownIdError(kind, value, file);
  return id;
}

/** Resolves owner and group (names or numbers) to ids. */
export async function resolveIds(
  fs: FsAdapter,
  owner: string | undefined,
  group: string | undefined,
): Promise<ResolvedIds> {
  return {
    uid: await resolveId(fs, "owner", owner),
    gid: await resolveId(fs, "group", group),
  };
}
