// An HTTP/1.1 response read from a socket's bytes (RFC 9112 §4–§7), for the facilitator's
// transport: status line, header fields, and a body framed by Transfer-Encoding: chunked, by
// Content-Length, or by the end of the connection. Interim 1xx responses are skipped. Sizes
// are bounded; anything malformed throws.

/** A response head larger than this is refused. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A body larger than this is refused (a Casper block with many transactions is a few MB). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** A chunk-size line (with extensions) or a trailer line longer than this is refused. */
const MAX_LINE_BYTES = 4096;
/** A chunked body in more chunks than this is refused (a node writes a body in a few). */
const MAX_CHUNKS = 100_000;

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

export interface ParsedResponse {
  status: number;
  text: string;
  /** Whether the server lets the connection carry another exchange. */
  keepAlive: boolean;
  /** How long the server keeps an idle connection, when it says (`Keep-Alive: timeout=N`). */
  idleMs?: number;
}

export type FeedResult =
  | { done: false }
  | {
      done: true;
      response: ParsedResponse /** Bytes past the response's end. */;
      leftover: number;
    };

export interface ResponseParser {
  feed(chunk: Buffer): FeedResult;
  /** The connection ended: the response, if it was framed by that end; otherwise undefined. */
  end(): ParsedResponse | undefined;
}

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked' } | { kind: 'close' };

interface Head {
  status: number;
  keepAlive: boolean;
  idleMs?: number;
  framing: Framing;
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/.exec(lines[0] ?? '');
  if (!statusLine) throw new Error('the answer is not an HTTP/1.x response');
  const minor = statusLine[1];
  const status = Number(statusLine[2]);
  const fields = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const field = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!field) throw new Error('the response has a malformed header field');
    const name = field[1]!.toLowerCase();
    const values = fields.get(name);
    if (values) values.push(field[2]!);
    else fields.set(name, [field[2]!]);
  }
  const tokens = (name: string) =>
    (fields.get(name) ?? []).flatMap((value) =>
      value
        .split(',')
        .map((token) => token.trim().toLowerCase())
        .filter(Boolean),
    );
  const connection = tokens('connection');
  let keepAlive = minor === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  let framing: Framing;
  const codings = tokens('transfer-encoding');
  const lengths = new Set(tokens('content-length'));
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    framing = { kind: 'length', remaining: 0 };
  } else if (codings.length > 0) {
    // Transfer-Encoding overrides Content-Length; a response with both, or an HTTP/1.0 one
    // with Transfer-Encoding, is not reused (§6.1, §6.3).
    if (lengths.size > 0 || minor === '0') keepAlive = false;
    if (codings.at(-1) === 'chunked') framing = { kind: 'chunked' };
    else {
      framing = { kind: 'close' };
      keepAlive = false;
    }
  } else if (fields.has('content-length')) {
    const [length] = lengths;
    if (lengths.size !== 1 || !/^\d{1,15}$/.test(length!)) {
      throw new Error('the response has an invalid Content-Length');
    }
    framing = { kind: 'length', remaining: Number(length) };
  } else {
    framing = { kind: 'close' };
    keepAlive = false;
  }
  if (framing.kind === 'length' && framing.remaining > MAX_BODY_BYTES) {
    throw new Error(`the response body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  const timeout = /(?:^|,)\s*timeout=(\d{1,6})\b/i.exec((fields.get('keep-alive') ?? []).join(','));
  return {
    status,
    keepAlive,
    ...(timeout ? { idleMs: Number(timeout[1]) * 1000 } : {}),
    framing,
  };
}

/** Bytes appended in place, in a buffer that doubles as it fills: linear copying overall. */
class Growing {
  private buffer = Buffer.alloc(0);
  length = 0;

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  append(bytes: Buffer): void {
    const needed = this.length + bytes.length;
    if (needed > this.limit) {
      throw new Error(`the response body is larger than ${this.limit} bytes`);
    }
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(this.limit, Math.max(needed, this.buffer.length * 2, 4096)),
      );
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    bytes.copy(this.buffer, this.length);
    this.length = needed;
  }

  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

export function parseHttpResponse(): ResponseParser {
  /** What came before the end of the head, read by read. */
  let headBytes = new Growing();
  /** Where the search for the end of the head resumes (what came before holds none). */
  let searchedHead = 0;
  let head: Head | undefined;
  /** Bytes of the body's framing not read yet (a partial chunk-size line, say). */
  let pending: Buffer = Buffer.alloc(0);
  // The body is copied into one buffer as it comes: slices of the socket's reads would each
  // cost a heap object and keep the whole read alive (a body in one-byte chunks would take
  // hundreds of MB of heap).
  const body = new Growing(MAX_BODY_BYTES);
  let chunks = 0;
  /** Within a chunked body: reading a size line, a chunk's data, its CRLF, or the trailers. */
  let chunk:
    | { state: 'size' }
    | { state: 'data'; remaining: number }
    | { state: 'crlf' }
    | {
        state: 'trailers';
      } = { state: 'size' };

  const responseWith = (text: string): ParsedResponse => ({
    status: head!.status,
    text,
    keepAlive: head!.keepAlive,
    ...(head!.idleMs === undefined ? {} : { idleMs: head!.idleMs }),
  });
  /** A line ending in CRLF from `pending`, or undefined while it has not all come. */
  const line = (): string | undefined => {
    const at = pending.indexOf(CRLF);
    if (at < 0) {
      if (pending.length > MAX_LINE_BYTES) throw new Error('the response has an overlong line');
      return undefined;
    }
    if (at > MAX_LINE_BYTES) throw new Error('the response has an overlong line');
    const text = pending.subarray(0, at).toString('latin1');
    pending = pending.subarray(at + 2);
    return text;
  };

  /** Reads what `pending` holds of the chunked body; true once it has ended. */
  const chunked = (): boolean => {
    for (;;) {
      if (chunk.state === 'size') {
        const text = line();
        if (text === undefined) return false;
        const size = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(text);
        if (!size) throw new Error('the response has a malformed chunk size');
        const remaining = Number.parseInt(size[1]!, 16);
        if (++chunks > MAX_CHUNKS)
          throw new Error(`the response has more than ${MAX_CHUNKS} chunks`);
        chunk = remaining === 0 ? { state: 'trailers' } : { state: 'data', remaining };
      } else if (chunk.state === 'data') {
        if (pending.length === 0) return false;
        const part = pending.subarray(0, chunk.remaining);
        pending = pending.subarray(part.length);
        body.append(part);
        chunk =
          part.length === chunk.remaining
            ? { state: 'crlf' }
            : { state: 'data', remaining: chunk.remaining - part.length };
      } else if (chunk.state === 'crlf') {
        if (pending.length < 2) return false;
        if (pending[0] !== 0x0d || pending[1] !== 0x0a) {
          throw new Error('the response has a chunk without its CRLF');
        }
        pending = pending.subarray(2);
        chunk = { state: 'size' };
      } else {
        const text = line();
        if (text === undefined) return false;
        if (text === '') return true;
      }
    }
  };

  /**
   * Reads the head from what has come so far, `bytes` the newest read; answers the bytes
   * after it, or undefined while it has not all come. A head that arrives in one read (the
   * usual case) is read where it is, without being copied.
   */
  const readHead = (bytes: Buffer): Buffer | undefined => {
    let read = bytes;
    if (headBytes.length > 0) {
      headBytes.append(bytes);
      read = headBytes.view();
    }
    for (;;) {
      const at = read.indexOf(HEAD_END, searchedHead);
      if (at < 0) {
        if (read.length > MAX_HEAD_BYTES) throw new Error('the response head is too large');
        if (read === bytes) headBytes.append(bytes);
        searchedHead = Math.max(0, read.length - 3);
        return undefined;
      }
      if (at > MAX_HEAD_BYTES) throw new Error('the response head is too large');
      const parsed = parseHead(read.toString('latin1', 0, at));
      const rest = read.subarray(at + 4);
      searchedHead = 0;
      if (parsed.status === 101) throw new Error('the server switched protocols');
      if (parsed.status < 100 || parsed.status >= 200) {
        head = parsed;
        return rest;
      }
      // An interim response (100 Continue, 103 Early Hints): the real one follows.
      read = rest;
      bytes = rest;
      headBytes = new Growing();
    }
  };

  const bodyText = () => body.view().toString('utf8');
  const done = (text: string, leftover: number): FeedResult => ({
    done: true,
    response: responseWith(text),
    leftover,
  });

  return {
    feed(bytes) {
      if (head) {
        pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
      } else {
        const rest = readHead(bytes);
        if (rest === undefined) return { done: false };
        pending = rest;
      }
      const framing = head!.framing;
      if (framing.kind === 'close') {
        body.append(pending);
        pending = Buffer.alloc(0);
        return { done: false };
      }
      if (framing.kind === 'length') {
        if (body.length === 0 && pending.length >= framing.remaining) {
          // The whole body is in hand (the usual case): read where it is.
          return done(
            pending.toString('utf8', 0, framing.remaining),
            pending.length - framing.remaining,
          );
        }
        const part = pending.subarray(0, framing.remaining);
        pending = pending.subarray(part.length);
        body.append(part);
        framing.remaining -= part.length;
        if (framing.remaining > 0) return { done: false };
        return done(bodyText(), pending.length);
      }
      if (!chunked()) return { done: false };
      return done(bodyText(), pending.length);
    },
    end() {
      return head?.framing.kind === 'close' ? responseWith(bodyText()) : undefined;
    },
  };
}
