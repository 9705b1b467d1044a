/**
 * What must not leak between the client and the upstream, over real HTTP: trace context beyond
 * what W3C version 00 defines, bearer tokens outside RFC 6750's characters, and the upstream's
 * internal URLs and host names inside an error `detail`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorDetail } from '../../src/upstream/client.js';
import { expectSafe, LIST_QUERY, onlyError, onlyListCallHeaders } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const TIME_BOUND_MS = 5_000;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.resetRequests());

const upstreamHeaders = () => onlyListCallHeaders(stack);

describe('traceparent', () => {
  it('a future version with a long tail goes upstream as version 00, four fields only', async () => {
    const tail = `-${'a'.repeat(400)}`;
    const res = await stack.graphql(LIST_QUERY, undefined, {
      traceparent: `cc-${TRACE_ID}-${PARENT_ID}-01${tail}`,
      tracestate: 'congo=t61rcWkgMzE',
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.elapsedMs).toBeLessThan(TIME_BOUND_MS);
    const headers = upstreamHeaders();
    expect(headers.traceparent).toBe(`00-${TRACE_ID}-${PARENT_ID}-01`);
    expect(headers.tracestate).toBe('congo=t61rcWkgMzE');
  });

  it('an oversized traceparent (8 KiB) is not forwarded, nor its tracestate', async () => {
    const res = await stack.graphql(LIST_QUERY, undefined, {
      traceparent: `cc-${TRACE_ID}-${PARENT_ID}-01-${'a'.repeat(8 * 1024)}`,
      tracestate: 'congo=t61rcWkgMzE',
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.elapsedMs).toBeLessThan(TIME_BOUND_MS);
    const headers = upstreamHeaders();
    expect(headers.traceparent).toBeUndefined();
    expect(headers.tracestate).toBeUndefined();
  });
});

describe('bearer tokens outside RFC 6750 characters: UNAUTHENTICATED, no upstream request', () => {
  const tokens = {
    'non-ASCII (Latin-1)': 'llx-cl\u00e9-0123456789',
    'a quote': 'llx-key"0123456789',
    'a comma': 'llx-key,0123456789',
    'a semicolon': 'llx-key;0123456789',
    '"=" before the end': 'llx-key=0123456789',
  };
  it.each(Object.entries(tokens))('%s', async (_name, token) => {
    const res = await stack.graphql(LIST_QUERY, undefined, { authorization: `Bearer ${token}` });
    expect(res.elapsedMs).toBeLessThan(TIME_BOUND_MS);
    expectSafe(res, stack, [token]);
    expect(onlyError(res).extensions?.code).toBe('UNAUTHENTICATED');
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('every RFC 6750 character (and trailing "=") is accepted and forwarded as is', async () => {
    const token = 'llx-AZaz09-._~+/key==';
    const res = await stack.graphql(LIST_QUERY, undefined, { authorization: `Bearer ${token}` });
    expect(res.body.errors).toBeUndefined();
    expect(upstreamHeaders().authorization).toBe(`Bearer ${token}`);
  });
});

describe('an upstream error detail loses its URLs and host names', () => {
  it('422 naming http://internal.example:8080/x and 10.1.2.3: BAD_USER_INPUT without them', async () => {
    stack.sandbox.faults.add({
      kind: 'status',
      status: 422,
      body: {
        json: {
          detail:
            'page_size rejected by http://internal.example:8080/x (replica 10.1.2.3 said: too large)',
        },
      },
    });
    const res = await stack.graphql(LIST_QUERY);
    expect(res.elapsedMs).toBeLessThan(TIME_BOUND_MS);
    expectSafe(res, stack, ['internal.example', '10.1.2.3']);
    const error = onlyError(res);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', upstreamStatus: 422 });
    expect(error.message).toBe(
      'The LlamaCloud API rejected the request: page_size rejected by [url] (replica [host] said: too large)',
    );
    expect(stack.listCalls()).toHaveLength(1);
  });

  it.each([
    ['http://10.2.3.4:8080/internal/x failed', '[url] failed'],
    ['cannot reach db-7.internal.corp:5432, nor 10.0.0.7', 'cannot reach [host], nor [host]'],
    [
      'redis:6379 and [fd00::7]:80 and api.svc.cluster.local are down',
      '[host] and [host] and [host] are down',
    ],
    ['see https://docs.example.com/errors#422.', 'see [url].'],
    // Readable parts stay: pydantic locations, numbers, versions, times.
    [
      'query.page_size: Input should be less than or equal to 100',
      'query.page_size: Input should be less than or equal to 100',
    ],
    [
      'body.name: Field required (v1.2.3 at 12:30:45)',
      'body.name: Field required (v1.2.3 at 12:30:45)',
    ],
  ])('%s', (detail, expected) => {
    expect(errorDetail(JSON.stringify({ detail }))).toEqual({ detail: expected });
  });

  it('validation errors are cleaned too, their locations kept', () => {
    const body = JSON.stringify({
      detail: [{ loc: ['query', 'project_id'], msg: 'unknown at https://10.9.8.7/p' }],
    });
    expect(errorDetail(body)).toEqual({ detail: 'query.project_id: unknown at [url]' });
  });
});
