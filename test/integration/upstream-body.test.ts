/**
 * Reading a 2xx JSON body (src/upstream/client.ts, `readCapped`) from an upstream that lies about
 * its length, on a raw `node:net` server: the size cap holds whatever Content-Length says, and
 * each lie is an UpstreamError, never a larger body.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import type { UpstreamFailure } from '../../src/upstream/errors.js';

const LIMIT = 1024;
const BIG = 100_000;

/** What the server writes once it has the request; keyed by the request's path. */
const answers: Record<string, (socket: Socket) => void> = {};
let server: Server;
let client: UpstreamClient;

const head = (headers: string) =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${headers}\r\n`;

beforeAll(async () => {
  server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (request: Buffer) => {
      const path = /^GET (\S+)/.exec(request.toString('latin1'))?.[1] ?? '';
      answers[path]?.(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new UpstreamClient({
    baseUrl: `http://127.0.0.1:${port}`,
    timeoutMs: 5_000,
    maxRetries: 0,
    userAgent: 'test',
    maxBodyBytes: LIMIT,
  });
});
afterAll(async () => {
  await client.close(100);
  await new Promise((resolve) => server.close(resolve));
});

async function outcome(path: string): Promise<{ value: unknown } | { failure: UpstreamFailure }> {
  try {
    return { value: await client.getJson(path, path, {}) };
  } catch (error) {
    if (error instanceof UpstreamError) return { failure: error.failure };
    throw error;
  }
}

const tooLarge = { failure: { kind: 'bad_response', reason: `body larger than ${LIMIT} bytes` } };
/** A network failure (as a cut connection is), never a body; its code depends on timing. */
const cut = { failure: expect.objectContaining({ kind: 'network' }) as unknown };

describe('a 2xx body against its Content-Length', () => {
  const cases: Array<[string, (socket: Socket) => void, unknown]> = [
    [
      'longer than declared: only the declared bytes are the body',
      (s) => s.write(head('content-length: 11\r\n') + '{"ok":true}' + 'x'.repeat(BIG)),
      { value: { ok: true } },
    ],
    [
      'longer than declared, the excess sent later',
      (s) => {
        s.write(head('content-length: 11\r\n') + '{"ok":true}');
        setTimeout(() => s.write('x'.repeat(BIG)), 5);
      },
      { value: { ok: true } },
    ],
    [
      'declared over the cap: fails on the headers, before any body byte',
      (s) => s.write(head(`content-length: ${BIG}\r\n`)),
      tooLarge,
    ],
    [
      'shorter than declared, then the connection closes',
      (s) => s.end(head('content-length: 500\r\n') + '{"ok":true}'),
      cut,
    ],
    [
      'Content-Length and chunked together',
      (s) =>
        s.write(
          head('content-length: 11\r\ntransfer-encoding: chunked\r\n') +
            `${BIG.toString(16)}\r\n${'x'.repeat(BIG)}\r\n0\r\n\r\n`,
        ),
      cut,
    ],
    [
      'two different Content-Lengths',
      (s) => s.write(head(`content-length: 11\r\ncontent-length: ${BIG}\r\n`) + '{"ok":true}'),
      cut,
    ],
    [
      'none, chunked over the cap: counted as it arrives',
      (s) =>
        s.write(
          head('transfer-encoding: chunked\r\n') +
            `${BIG.toString(16)}\r\n${'x'.repeat(BIG)}\r\n0\r\n\r\n`,
        ),
      tooLarge,
    ],
    [
      'none, delimited by the connection closing, over the cap',
      (s) => s.end(head('connection: close\r\n') + 'x'.repeat(BIG)),
      tooLarge,
    ],
    [
      'a byte-order mark is not JSON',
      (s) => s.write(head('content-length: 14\r\n') + '\ufeff{"ok":true}'),
      { failure: { kind: 'bad_response', reason: 'body is not valid JSON' } },
    ],
  ];

  it.each(cases)('%s', async (name, answer, expected) => {
    const path = `/${encodeURIComponent(name)}`;
    answers[path] = answer;
    expect(await outcome(path)).toEqual(expected);
  });
});
