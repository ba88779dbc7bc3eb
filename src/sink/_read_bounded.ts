/**
 * Reads a byte stream to its end keeping at most `maxBytes`: a chatty hook can neither fill
 * memory nor block on a full pipe.
 *
 * @module
 */

/** What was kept of a stream. */
export interface BoundedText {
  text: string;
  /** Bytes the stream produced in total (kept or not). */
  totalBytes: number;
  truncated: boolean;
}

/**
 * Drains `stream`, keeping the first `maxBytes` bytes decoded as UTF-8. When `signal` aborts, the
 * stream is cancelled and what was read so far is returned (never rejects).
 */
export async function readBounded(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<BoundedText> {
  const reader = stream.getReader();
  const kept = new Uint8Array(maxBytes);
  let filled = 0;
  let totalBytes = 0;
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      totalBytes += value.length;
      const room = maxBytes - filled;
      if (room > 0) {
        const part = value.subarray(0, room);
        kept.set(part, filled);
        filled += part.length;
      }
    }
  } catch {
    // A cancelled or broken pipe ends the capture; the exit status tells the story.
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  return {
    text: new TextDecoder().decode(kept.subarray(0, filled)),
    totalBytes,
    truncated: totalBytes > filled,
  };
}
