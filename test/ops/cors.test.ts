/**
 * CORS_ORIGINS. Default (unset): no cross-origin access. Allowed origins get CORS headers
 * (never cookies); others get none, so the browser blocks them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const APP = 'https://app.example.com';
const ADMIN = 'http://localhost:5173';
const EVIL = 'https://evil.example.net';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

function preflight(url: string, origin: string) {
  return fetch(`${url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
}

function post(url: string, origin: string) {
  return fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
}

describe('CORS', () => {
  it('allows no cross-origin access by default', async () => {
    stack = await startStack();
    const pre = await preflight(stack.gateway.url, APP);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
    const res = await post(stack.gateway.url, APP);
    expect(res.status).toBe(200); // answered, but the browser will not let the page read it
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows the listed origins, without credentials, and exposes x-request-id', async () => {
    stack = await startStack({ env: { CORS_ORIGINS: `${APP}, ${ADMIN}` } });
    for (const origin of [APP, ADMIN]) {
      const pre = await preflight(stack.gateway.url, origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
      expect(pre.headers.get('access-control-allow-methods')).toBe('GET, POST');
      expect(pre.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      expect(pre.headers.get('access-control-max-age')).toBe('600');
      expect(pre.headers.get('vary')).toMatch(/\bOrigin\b/);

      const res = await post(stack.gateway.url, origin);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-expose-headers')).toBe('x-request-id');
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('denies an origin that is not listed (including the opaque "null" origin)', async () => {
    stack = await startStack({ env: { CORS_ORIGINS: `${APP},${ADMIN}` } });
    for (const origin of [EVIL, 'null', `${APP}.evil.example.net`, 'http://app.example.com']) {
      const pre = await preflight(stack.gateway.url, origin);
      expect(pre.headers.get('access-control-allow-origin'), origin).toBeNull();
      const res = await post(stack.gateway.url, origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('allows any origin with CORS_ORIGINS=*', async () => {
    stack = await startStack({ env: { CORS_ORIGINS: '*' } });
    const pre = await preflight(stack.gateway.url, EVIL);
    expect(pre.headers.get('access-control-allow-origin')).toBe(EVIL);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
