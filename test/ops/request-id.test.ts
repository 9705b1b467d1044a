/**
 * x-request-id accepted or created, returned, sent upstream and put into every error; W3C
 * traceparent passed through. (The one home of these rules.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  acceptRequestId,
  isValidTraceparent,
  upstreamTraceHeaders,
  upstreamTraceparent,
} from '../../src/observability/trace.js';
import { onlyError, onlyListCallHeaders } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const QUERY = '{ chatSessions(first: 1) { edges { cursor } } }';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.resetRequests());

const upstreamHeaders = () => onlyListCallHeaders(stack);

describe('x-request-id', () => {
  it('keeps the caller’s id: on the response and upstream', async () => {
    const res = await stack.graphql(QUERY, {}, { 'x-request-id': 'client-id-42' });
    expect(res.headers.get('x-request-id')).toBe('client-id-42');
    expect(upstreamHeaders()['x-request-id']).toBe('client-id-42');
  });

  it('creates a UUID when there is none, and uses the same one upstream', async () => {
    const res = await stack.graphql(QUERY);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(upstreamHeaders()['x-request-id']).toBe(id);
  });

  it('replaces an id that is too long or has spaces or control characters', async () => {
    for (const bad of ['x'.repeat(201), 'has space', 'tab\there', '<script>"x"</script>']) {
      stack.resetRequests();
      const res = await stack.graphql(QUERY, {}, { 'x-request-id': bad });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(UUID);
      expect(upstreamHeaders()['x-request-id']).toBe(id);
    }
    expect(acceptRequestId('x'.repeat(200))).toBe('x'.repeat(200));
  });

  it('puts the id into every error, parse and validation errors included', async () => {
    const bad = await stack.graphql(
      '{ chatSessions(first: -1) { edges { cursor } } }',
      {},
      { 'x-request-id': 'client-id-43' },
    );
    expect(bad.headers.get('x-request-id')).toBe('client-id-43');
    expect(onlyError(bad).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      requestId: 'client-id-43',
    });
    for (const broken of ['{ chatSessions(first: 1) {', '{ chatSessions { nope } }']) {
      const res = await stack.graphql(broken);
      const error = onlyError(res);
      expect(error.extensions?.code).toMatch(/^GRAPHQL_(PARSE|VALIDATION)_FAILED$/);
      expect(error.extensions?.requestId).toMatch(UUID);
      expect(error.extensions?.requestId).toBe(res.headers.get('x-request-id'));
    }
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('never echoes a replaced id, in the headers or in an error', async () => {
    const res = await stack.graphql(
      '{ chatSessions(first: -1) { edges { cursor } } }',
      {},
      { 'x-request-id': '<script>"x"</script>' },
    );
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(onlyError(res).extensions?.requestId).toBe(id);
    expect(res.text).not.toContain('<script>');
  });

  it('is on every response, not only GraphQL ones', async () => {
    for (const path of ['/health', '/readiness', '/nowhere']) {
      const res = await fetch(`${stack.gateway.url}${path}`, {
        headers: { 'x-request-id': `probe${path}` },
      });
      await res.arrayBuffer();
      expect(res.headers.get('x-request-id')).toBe(`probe${path}`);
    }
  });
});

describe('traceparent', () => {
  it('passes a valid traceparent (and its tracestate) through to the upstream', async () => {
    await stack.graphql(QUERY, {}, { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' });
    const headers = upstreamHeaders();
    expect(headers.traceparent).toBe(TRACEPARENT);
    expect(headers.tracestate).toBe('congo=t61rcWkgMzE');
  });

  it('drops a malformed traceparent, and the tracestate with it', async () => {
    await stack.graphql(QUERY, {}, { traceparent: 'not-a-trace', tracestate: 'congo=t61rcWkgMzE' });
    const headers = upstreamHeaders();
    expect(headers.traceparent).toBeUndefined();
    expect(headers.tracestate).toBeUndefined();
  });

  it('sends nothing when the caller sends no trace context', async () => {
    await stack.graphql(QUERY);
    expect(upstreamHeaders().traceparent).toBeUndefined();
  });

  it('validates the W3C format', () => {
    expect(isValidTraceparent(TRACEPARENT)).toBe(true);
    expect(isValidTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')).toBe(
      true,
    );
    // A future version may append fields.
    expect(
      isValidTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'),
    ).toBe(true);
    for (const bad of [
      '',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // version ff
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // zero parent id
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // upper case
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', // short trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', // v00 has no more fields
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
    ]) {
      expect(isValidTraceparent(bad), bad).toBe(false);
    }
  });
});

describe('traceparent versions and limits (W3C Trace Context §4.3)', () => {
  const FIELDS = '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7';

  it('a version 00 header is forwarded as is, and only when it matches exactly', () => {
    expect(upstreamTraceparent(TRACEPARENT)).toBe(TRACEPARENT);
    expect(upstreamTraceparent(`${TRACEPARENT}-`)).toBeUndefined();
    expect(upstreamTraceparent(`${TRACEPARENT}0`)).toBeUndefined();
  });

  it('a future version becomes version 00 with the four fields: no tail, only the sampled flag', () => {
    expect(upstreamTraceparent(`01-${FIELDS}-01`)).toBe(`00-${FIELDS}-01`);
    expect(upstreamTraceparent(`cc-${FIELDS}-01-what-the-future-holds`)).toBe(`00-${FIELDS}-01`);
    expect(upstreamTraceparent(`fe-${FIELDS}-02-x`)).toBe(`00-${FIELDS}-00`);
    expect(upstreamTraceparent(`fe-${FIELDS}-03`)).toBe(`00-${FIELDS}-01`);
  });

  it('a future version must parse as version 00 for 55 characters, then end or "-"', () => {
    for (const bad of [
      `01-${FIELDS}-01x`, // no dash after the flags
      `01-${FIELDS}-1`, // shorter than 55
      `01-${FIELDS.toUpperCase()}-01`,
      `ff-${FIELDS}-01`, // version ff is invalid
      `0g-${FIELDS}-01`,
      `01-00000000000000000000000000000000-00f067aa0ba902b7-01`,
    ]) {
      expect(upstreamTraceparent(bad), bad).toBeUndefined();
    }
  });

  it('refuses any header over 512 characters outright', () => {
    const at = (length: number) => `01-${FIELDS}-01-${'a'.repeat(length - 56)}`;
    expect(at(512)).toHaveLength(512);
    expect(upstreamTraceparent(at(512))).toBe(`00-${FIELDS}-01`);
    expect(upstreamTraceparent(at(513))).toBeUndefined();
    expect(isValidTraceparent(at(8 * 1024))).toBe(false);
  });

  it('tracestate goes upstream only with a valid traceparent, and capped at 512', () => {
    const headers = (h: Record<string, string>) => upstreamTraceHeaders(new Headers(h), 'rid');
    expect(headers({ tracestate: 'congo=t61rcWkgMzE' })).toEqual({ 'x-request-id': 'rid' });
    expect(
      headers({ traceparent: `01-${FIELDS}-01-${'a'.repeat(600)}`, tracestate: 'a=b' }),
    ).toEqual({ 'x-request-id': 'rid' });
    expect(headers({ traceparent: `01-${FIELDS}-01-tail`, tracestate: 'a=b' })).toEqual({
      'x-request-id': 'rid',
      traceparent: `00-${FIELDS}-01`,
      tracestate: 'a=b',
    });
    expect(headers({ traceparent: TRACEPARENT, tracestate: 'a'.repeat(513) })).toEqual({
      'x-request-id': 'rid',
      traceparent: TRACEPARENT,
    });
  });
});
