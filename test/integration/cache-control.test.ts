/**
 * GET responses carry `Cache-Control: private, no-store` (src/plugins/no-store.ts): their answers
 * depend on the caller's credential. POST answers and the GraphiQL page are left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

const get = (query: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.gateway.url}/graphql?query=${encodeURIComponent(query)}`, {
    headers: { accept: 'application/graphql-response+json', ...headers },
  });

describe('Cache-Control on GET', () => {
  it('is private, no-store on a GraphQL GET answer', async () => {
    const res = await get('{ chatSessions(first: 1) { edges { node { sessionId } } } }', {
      'x-graphql-yoga-csrf': '1',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });

  it('is private, no-store on a refused GET too', async () => {
    const res = await get('{ __typename }');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });

  it('is not added to POST answers or to the GraphiQL page', async () => {
    const post = await stack.graphql('{ __typename }');
    expect(post.status).toBe(200);
    expect(post.headers.get('cache-control')).toBeNull();
    const page = await fetch(`${stack.gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBeNull();
    await page.arrayBuffer();
  });
});
