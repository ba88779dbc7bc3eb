/**
 * File modes written as octal: `"0640"`, `"640"`, `"0o640"` or a YAML number `0640`.
 *
 * @module
 */

/** The largest mode accepted: permission bits plus setuid, setgid and sticky. */
export const MAX_FILE_MODE = 0o7777;

/**
 * Parses an octal file mode into a number.
 *
 * A string (or number) is read as octal digits the way `chmod` reads them, so `0640`, `"0640"`
 * and `640` all mean `rw-r-----`; `"0o640"` is accepted too.
 *
 * @example
 * ```ts
 * parseFileMode("0640"); // 0o640 (416)
 * ```
 * @throws {SyntaxError} on non-octal digits, an empty value, or a mode above 0o7777.
 */
export function parseFileMode(value: string | number): number {
  const text = String(value).trim();
  const digits = text.replace(/^0o/i, "");
  if (!/^[0-7]+$/.test(digits)) {
    throw new SyntaxError(
      /^[0-9]+$/.test(digits)
        ? `Invalid file mode "${text}": octal digits are 0-7`
        : `Invalid file mode "${text}": expected octal digits like "0640"`,
    );
  }
  const mode = parseInt(digits, 8);
  if (mode > MAX_FILE_MODE) {
    throw new SyntaxError(`Invalid file mode "${text}": the largest mode is 07777`);
  }
  return mode;
}

/** Formats a mode as four octal digits, e.g. `0o640 → "0640"`. */
export function formatFileMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}
