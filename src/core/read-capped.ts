/**
 * Reading an answer's body with a bound: a server (a hostile one, a broken proxy, an endless stream)
 * decides how much it sends, so whatever reads it decides how much it keeps. One helper for every
 * caller; each wraps BodyTooLargeError in its own error with its own advice.
 */

/** The body was larger than the cap: it was not read past it (or, with a declared length over it, at all). */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`the answer is larger than ${formatBytes(limit)}`);
  }
}

const utf8 = new TextDecoder();

/**
 * The body as text, read as a stream and cut off past `limit` bytes: a declared `content-length`
 * over the limit is refused unread, and a body that grows past it is cancelled, so memory stays
 * bounded whatever the server sends.
 */
export async function readCappedText(res: Response, limit: number): Promise<string> {
  // TextDecoder drops a leading BOM, as res.text() does.
  return utf8.decode(await readCappedBytes(res, limit));
}

/** The body's bytes, bounded as readCappedText bounds them (for callers that decode it themselves). */
export async function readCappedBytes(res: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(limit);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/** `1 MiB`, `16 MiB`, or `1500 bytes`. */
export function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
