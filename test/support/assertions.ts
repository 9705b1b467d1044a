/** Assertions shared by the resilience suites. */
import { expect } from 'vitest';
import type { GraphQLResponse, Stack } from './stack.js';
import { SERVER_KEY } from './stack.js';

export const LIST_QUERY = `{ chatSessions(first: 3) { edges { node { sessionId } } } }`;

export type GraphQLErrorBody = NonNullable<GraphQLResponse['body']['errors']>[number];

/** The one error of a response, asserting there is exactly one. */
export function onlyError(res: GraphQLResponse): GraphQLErrorBody {
  expect(res.body.errors, res.text).toHaveLength(1);
  return res.body.errors![0]!;
}

/**
 * Nothing a client sees may carry a credential, the upstream's address or a stack trace; every
 * error carries a code and the request id that the response header also names.
 */
export function expectSafe(res: GraphQLResponse, stack: Stack, secrets: string[] = []): void {
  const upstream = new URL(stack.sandbox.url);
  for (const secret of [SERVER_KEY, ...secrets]) expect(res.text).not.toContain(secret);
  expect(res.text).not.toContain(upstream.host);
  expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(res.text).not.toMatch(/node_modules|undici|Error: /);
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  for (const error of res.body.errors ?? []) {
    expect(error.extensions?.code, error.message).toEqual(expect.any(String));
    expect(error.extensions?.requestId).toBe(requestId);
    expect(Object.keys(error.extensions ?? {})).not.toContain('stacktrace');
  }
}

/** Polls until `check` holds (sandbox state changes asynchronously), or fails after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 3_000) {
  const until = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Headers the upstream received for the one list call the last operation made. */
export function onlyListCallHeaders(stack: Stack) {
  const calls = stack.listCalls();
  expect(calls).toHaveLength(1);
  return calls[0]!.headers;
}
