// The facilitator's HTTP transport against real servers: node:http and node:https ones for
// what well-behaved servers send, raw TCP servers for the framings, interim responses and
// broken answers node:http would not produce.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { closedPort, tempDir } from '@x402-casper/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { httpTransport } from '../src/http-post.js';
import { parseHttpResponse } from '../src/http-response.js';

const servers: Array<{ close(): unknown; closeAllConnections?: () => void }> = [];
/** The raw servers' sockets, which a net server's close waits for. */
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const server of servers.splice(0)) {
    server.closeAllConnections?.();
    await new Promise((resolve) => {
      (server as Server).close(resolve);
    });
  }
});

/** The time limit of a call that should be answered. */
const LIMIT_MS = 5000;

async function listen<T extends Server | ReturnType<typeof createNetServer>>(server: T) {
  servers.push(server as unknown as Server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => resolve(text));
  });
}

/** A node:http server answering each JSON body with `answer(body)`; counts its connections. */
async function jsonServer(answer: (body: string, request: IncomingMessage) => string) {
  const seen = { connections: 0, requests: [] as IncomingMessage[] };
  const server = createHttpServer(async (request, response) => {
    seen.requests.push(request);
    const text = answer(await bodyOf(request), request);
    response.setHeader('content-type', 'application/json');
    response.end(text);
  });
  server.on('connection', () => {
    seen.connections += 1;
  });
  const port = await listen(server);
  return { server, seen, url: `http://127.0.0.1:${port}/rpc` };
}

/** A raw TCP server that reads one request head and body, then writes `reply(socket)`. */
async function rawServer(reply: (socket: Socket, index: number) => void) {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections += 1;
    sockets.add(socket);
    let index = 0;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        reply(socket, index++);
      }
    });
    socket.on('error', () => {});
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/rpc`, connections: () => connections };
}

describe('the facilitator HTTP transport', () => {
  it('posts the body with its headers and reuses one connection for calls one after another', async () => {
    const { seen, url } = await jsonServer((body) => JSON.stringify({ echo: JSON.parse(body) }));
    const post = httpTransport();
    for (let i = 0; i < 5; i++) {
      const response = await post(`${url}?n=${i}`, JSON.stringify({ i, text: 'é' }), LIMIT_MS);
      expect(response).toEqual({ status: 200, text: JSON.stringify({ echo: { i, text: 'é' } }) });
    }
    expect(seen.connections).toBe(1);
    const request = seen.requests[4]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/rpc?n=4');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength('{"i":4,"text":"é"}')));
    expect(request.headers.host).toBe(new URL(url).host);
  });

  it('sends credentials in the URL as Basic authorization', async () => {
    const { seen, url } = await jsonServer(() => '{}');
    const withUser = url.replace('http://', 'http://node%20user:p%40ss@');
    await httpTransport()(withUser, '{}', LIMIT_MS);
    expect(seen.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('node user:p@ss').toString('base64')}`,
    );
  });

  it('answers error statuses with their body, like any other response', async () => {
    const server = createHttpServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    });
    const port = await listen(server);
    const response = await httpTransport()(`http://127.0.0.1:${port}/`, '{}', LIMIT_MS);
    expect(response).toEqual({ status: 502, text: '<html>bad gateway</html>' });
  });

  it('reads chunked bodies, with extensions and trailers, split across packets', async () => {
    const { url } = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel');
      setTimeout(() => socket.write('lo\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n'), 10);
    });
    const post = httpTransport();
    expect(await post(url, '{}', LIMIT_MS)).toEqual({ status: 200, text: 'hello world' });
    expect(await post(url, '{}', LIMIT_MS)).toEqual({ status: 200, text: 'hello world' });
  });

  it('skips interim responses and reads bodies framed by the end of the connection', async () => {
    const { url, connections } = await rawServer((socket) => {
      socket.write(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n',
      );
      socket.end('{"until":"close"}');
    });
    const post = httpTransport();
    expect(await post(url, '{}', LIMIT_MS)).toEqual({ status: 200, text: '{"until":"close"}' });
    expect(await post(url, '{}', LIMIT_MS)).toEqual({ status: 200, text: '{"until":"close"}' });
    expect(connections()).toBe(2);
  });

  it('opens a new connection after the server said Connection: close or closed an idle one', async () => {
    const { url, connections } = await rawServer((socket, index) => {
      const close = index === 0 ? 'Connection: close\r\n' : '';
      socket.write(`HTTP/1.1 200 OK\r\n${close}Content-Length: 2\r\n\r\n{}`);
      if (close) socket.end();
    });
    const post = httpTransport();
    await post(url, '{}', LIMIT_MS);
    await post(url, '{}', LIMIT_MS);
    expect(connections()).toBe(2);

    // A server that shuts each connection 20 ms after answering on it (an idle timeout).
    const idle = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
      setTimeout(() => socket.end(), 20);
    });
    const keep = httpTransport();
    await keep(idle.url, '{}', LIMIT_MS);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await keep(idle.url, '{}', LIMIT_MS)).toEqual({ status: 200, text: '{}' });
    expect(idle.connections()).toBe(2);
  });

  it('keeps at most maxSockets connections per origin and queues the rest', async () => {
    const { seen, url } = await jsonServer((body) => body);
    const post = httpTransport({ maxSockets: 3 });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(url, JSON.stringify({ i }), LIMIT_MS)),
    );
    expect(answers.map((answer) => JSON.parse(answer.text).i)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(seen.connections).toBe(3);
  });

  it('rejects, with what was wrong, when the answer is not HTTP or breaks off', async () => {
    const broken: Array<[string, RegExp]> = [
      ['SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1.x response/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nhello', /Content-Length/],
      ['HTTP/1.1 200 OK\r\nbad header line\r\n\r\n', /malformed header field/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /malformed chunk size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX', /without its CRLF/],
      ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', /switched protocols/],
      [`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, /head is too large/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n', /larger than/],
    ];
    for (const [answer, reason] of broken) {
      const { url } = await rawServer((socket) => socket.write(answer));
      await expect(httpTransport()(url, '{}', LIMIT_MS), answer.slice(0, 40)).rejects.toThrow(
        reason,
      );
    }
    const { url } = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
      socket.destroy();
    });
    await expect(httpTransport()(url, '{}', LIMIT_MS)).rejects.toThrow(/closed before/);
  });

  it('never reuses a connection that sent more than its response, or sent bytes unasked', async () => {
    const extra = await rawServer((socket, index) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n${index}${index}${index}EXTRA`);
    });
    const post = httpTransport();
    expect(await post(extra.url, '{}', LIMIT_MS)).toEqual({ status: 200, text: '000' });
    // The next call gets its own answer on a new connection, not the bytes left on the old one.
    expect(await post(extra.url, '{}', LIMIT_MS)).toEqual({ status: 200, text: '000' });
    expect(extra.connections()).toBe(2);

    const unasked = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged'), 20);
    });
    const next = httpTransport();
    await next(unasked.url, '{}', LIMIT_MS);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await next(unasked.url, '{}', LIMIT_MS)).toEqual({ status: 200, text: '{}' });
    expect(unasked.connections()).toBe(2);
  });

  it('keeps an idle connection only as long as the server said it would', async () => {
    const { url, connections } = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\n{}');
    });
    const post = httpTransport();
    await post(url, '{}', LIMIT_MS);
    await post(url, '{}', LIMIT_MS);
    expect(connections()).toBe(2);
  });

  it('serves the queue again after a call waiting for a socket gave up', async () => {
    let answer: (() => void) | undefined;
    const { url } = await rawServer((socket) => {
      answer = () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    });
    const post = httpTransport({ maxSockets: 1 });
    const first = post(url, '{"n":1}', LIMIT_MS);
    const waiting = post(url, '{"n":2}', 50);
    await expect(waiting).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect.poll(() => answer).toBeDefined();
    answer!();
    expect(await first).toEqual({ status: 200, text: '{}' });
    answer = undefined;
    const third = post(url, '{"n":3}', LIMIT_MS);
    await expect.poll(() => answer).toBeDefined();
    answer!();
    expect(await third).toEqual({ status: 200, text: '{}' });
  });

  it('rejects with the connect error when nothing listens', async () => {
    const port = await closedPort();
    await expect(httpTransport()(`http://127.0.0.1:${port}/`, '{}', LIMIT_MS)).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('gives up past its time limit with a TimeoutError, and closes that connection', async () => {
    let closed = false;
    const server = createNetServer((socket) => {
      sockets.add(socket);
      socket.resume();
      socket.on('close', () => {
        closed = true;
      });
    });
    const port = await listen(server);
    const started = Date.now();
    const error = await httpTransport()(`http://127.0.0.1:${port}/`, '{}', 100)
      .then(() => undefined)
      .catch((reason: unknown) => reason);
    expect(error).toMatchObject({ name: 'TimeoutError', message: 'no answer within 100 ms' });
    expect(Date.now() - started).toBeLessThan(4000);
    await expect.poll(() => closed).toBe(true);
  });

  it('speaks TLS to https origins and refuses a certificate it cannot verify', async () => {
    const dir = tempDir('tls');
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const server = createHttpsServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      async (request, response) => response.end(await bodyOf(request)),
    );
    const port = await listen(server);
    const url = `https://localhost:${port}/rpc`;
    const trusted = httpTransport({ tls: { ca: readFileSync(cert) } });
    expect(await trusted(url, '{"over":"tls"}', LIMIT_MS)).toEqual({
      status: 200,
      text: '{"over":"tls"}',
    });
    await expect(httpTransport()(url, '{}', LIMIT_MS)).rejects.toThrow(/certificate/);
    // Trusted, but not issued for the host asked for.
    await expect(trusted(`https://127.0.0.1:${port}/rpc`, '{}', LIMIT_MS)).rejects.toThrow(
      /altnames|IP/,
    );
  });
});

describe('the HTTP response parser', () => {
  it('reads a body of many tiny chunks, and refuses one of too many', () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    const parsed = parseHttpResponse().feed(
      Buffer.from(`${head}${'1\r\na\r\n'.repeat(5000)}0\r\n\r\n`),
    );
    expect(parsed).toMatchObject({ done: true, response: { text: 'a'.repeat(5000) } });
    const parser = parseHttpResponse();
    parser.feed(Buffer.from(head));
    expect(() => parser.feed(Buffer.from('1\r\na\r\n'.repeat(100_001)))).toThrow(
      /more than 100000 chunks/,
    );
  });

  it('says how long the server keeps an idle connection', () => {
    const result = parseHttpResponse().feed(
      Buffer.from('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n'),
    );
    expect(result).toMatchObject({ done: true, response: { keepAlive: true, idleMs: 5000 } });
  });

  it('reads a response fed one byte at a time, and says how much came after it', () => {
    const parser = parseHttpResponse();
    const bytes = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA');
    let result: ReturnType<typeof parser.feed> = { done: false };
    for (let i = 0; i < bytes.length - 5 && !result.done; i++) {
      result = parser.feed(bytes.subarray(i, i === bytes.length - 6 ? undefined : i + 1));
    }
    expect(result).toEqual({
      done: true,
      response: { status: 200, text: 'abc', keepAlive: true },
      leftover: 5,
    });
  });

  it('reads a response however its reads split it: whole, after an interim one, head or body in parts', () => {
    const response = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
    const expected = { status: 200, text: 'hello', keepAlive: true };
    const feedAll = (parts: string[]) => {
      const parser = parseHttpResponse();
      const results = parts.map((part) => parser.feed(Buffer.from(part)));
      expect(results.slice(0, -1).every((result) => !result.done)).toBe(true);
      return results.at(-1);
    };
    expect(feedAll([`${response}NEXT`])).toEqual({ done: true, response: expected, leftover: 4 });
    expect(feedAll([`HTTP/1.1 100 Continue\r\n\r\n${response}`])).toEqual({
      done: true,
      response: expected,
      leftover: 0,
    });
    expect(feedAll(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200', response.slice(12)])).toEqual({
      done: true,
      response: expected,
      leftover: 0,
    });
    for (const cut of [5, 20, 36, 37, 38, 40]) {
      expect(feedAll([response.slice(0, cut), response.slice(cut)])).toEqual({
        done: true,
        response: expected,
        leftover: 0,
      });
    }
    expect(
      feedAll([response.slice(0, 20), response.slice(20, 40), `${response.slice(40)}XY`]),
    ).toEqual({
      done: true,
      response: expected,
      leftover: 2,
    });
    // An interim head in parts, the final response whole in the read after it.
    expect(feedAll(['HTTP/1.1 100 Cont', `inue\r\n\r\n${response}`])).toEqual({
      done: true,
      response: expected,
      leftover: 0,
    });
    // A body framed by the end of the connection, in the head's read and after it.
    const parser = parseHttpResponse();
    expect(parser.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nhel'))).toEqual({ done: false });
    expect(parser.feed(Buffer.from('lo'))).toEqual({ done: false });
    expect(parser.end()).toEqual({ ...expected, keepAlive: false });
  });

  it('knows which responses leave the connection open', () => {
    const keepAlive = (text: string) => {
      const result = parseHttpResponse().feed(Buffer.from(text));
      return result.done ? result.response.keepAlive : undefined;
    };
    expect(keepAlive('HTTP/1.1 204 No Content\r\n\r\n')).toBe(true);
    expect(keepAlive('HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n')).toBe(
      false,
    );
    expect(keepAlive('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')).toBe(false);
    expect(
      keepAlive('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'),
    ).toBe(true);
    // Transfer-Encoding in HTTP/1.0 is not to be trusted with another exchange either.
    expect(
      keepAlive(
        'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ),
    ).toBe(false);
    // Both framings: the chunked one is read, and the connection is not trusted further.
    expect(
      keepAlive(
        'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n',
      ),
    ).toBe(false);
  });
});
