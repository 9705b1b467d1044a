/**
 * What the gateway exposes beyond the API: GraphiQL (~9 MB) is served compressed, and the
 * GRAPHIQL and INTROSPECTION switches turn it and introspection off (docs/architecture.md,
 * "Security").
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LIST_QUERY } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** GET /graphql as a browser opening GraphiQL, raw bytes (fetch would decompress them). */
function openGraphiQL(url: string, acceptEncoding?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = httpRequest(`${url}/graphql`, {
        headers: {
          accept: 'text/html',
          ...(acceptEncoding && { 'accept-encoding': acceptEncoding }),
        },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('GraphiQL', () => {
  it('is served compressed (brotli, else gzip) to clients that accept it, plain otherwise', async () => {
    stack = await startStack();
    const plain = await openGraphiQL(stack.gateway.url);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toContain('<title>LlamaCloud chat sessions');

    const br = await openGraphiQL(stack.gateway.url, 'gzip, deflate, br, zstd');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);

    const gzip = await openGraphiQL(stack.gateway.url, 'gzip;q=1.0, br;q=0');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(Number(gzip.headers['content-length'])).toBe(gzip.body.length);
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
  });

  it('GRAPHIQL=false: no page, the API still answers', async () => {
    stack = await startStack({ env: { GRAPHIQL: 'false' } });
    const page = await openGraphiQL(stack.gateway.url);
    expect(page.body.toString('utf8')).not.toContain('<html');
    expect((await stack.graphql(LIST_QUERY)).body.errors).toBeUndefined();
  });
});

describe('INTROSPECTION=false', () => {
  it('refuses __schema and __type, serves queries and the federation _service', async () => {
    stack = await startStack({ env: { INTROSPECTION: 'false' } });
    for (const query of [
      '{ __schema { types { name } } }',
      '{ __type(name: "ChatSession") { name } }',
    ]) {
      const res = await stack.graphql(query);
      expect(res.body.data ?? undefined).toBeUndefined();
      expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect((await stack.graphql(LIST_QUERY)).body.errors).toBeUndefined();
    const sdl = await stack.graphql('{ _service { sdl } }');
    expect(sdl.body.data?._service.sdl).toContain('type ChatSession');
  });
});
