/**
 * One request must not amplify itself (docs/architecture.md, "Security"). Probes over real HTTP
 * against a gateway process (its peak RSS is read from /proc), each asserting the answer, the
 * upstream calls made and a time bound. Every bound is checked before the first upstream call.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnGateway } from '../support/process.js';
import type { GatewayProcess } from '../support/process.js';
import { startFaultySandbox } from '../support/faulty-sandbox.js';
import type { FaultySandbox } from '../support/faulty-sandbox.js';
import { startStack } from '../support/stack.js';
import { subscribeOverSse } from '../support/subscriptions.js';
import type { Stack } from '../support/stack.js';

const BOUND_MS = 5_000;
const nodeId = (sessionId: string) => Buffer.from(`ChatSession:${sessionId}`).toString('base64');

/** Peak resident memory of a process, in MB (Linux). */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

describe('against a gateway process', () => {
  let sandbox: FaultySandbox;
  let gateway: GatewayProcess;
  let firstId: string;

  beforeAll(async () => {
    sandbox = await startFaultySandbox();
    gateway = await spawnGateway({
      env: { LLAMA_CLOUD_BASE_URL: sandbox.url, LLAMA_CLOUD_API_KEY: 'k' },
    });
    firstId = [...sandbox.dataset.values()][0]![0]!.summary.session_id;
  });
  afterAll(async () => {
    gateway?.kill();
    await sandbox?.close();
  });
  beforeEach(() => sandbox.clearRequests());

  async function post(query: string, variables: Record<string, unknown>) {
    const started = performance.now();
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return {
      status: res.status,
      text,
      body: JSON.parse(text),
      elapsedMs: performance.now() - started,
    };
  }

  it('nodes(ids:) with ~25,000 copies of one id, in 1 and in 30 aliases: BAD_USER_INPUT at once, no upstream call', async () => {
    // As many copies as fit the 1 MiB body cap (the probe sent 29,000 shorter ids).
    const id = nodeId(firstId);
    const ids = Array.from({ length: Math.floor(1_040_000 / (id.length + 3)) }, () => id);
    expect(ids.length).toBeGreaterThan(20_000);
    for (const aliases of [1, 30]) {
      const fields = Array.from({ length: aliases }, (_, i) => `a${i}: nodes(ids: $ids) { id }`);
      const res = await post(`query Amplify($ids: [ID!]!) { ${fields.join(' ')} }`, { ids });
      expect(res.status).toBe(200);
      // Refused as a whole before execution: one error, whatever the aliases.
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'ids',
      });
      expect(res.text.length).toBeLessThan(50_000);
      expect(sandbox.requests).toHaveLength(0);
      expect(res.elapsedMs).toBeLessThan(BOUND_MS);
    }
    expect(peakRssMb(gateway.child.pid!)).toBeLessThan(300);
  });

  it('nodes(ids:) with MAX_PAGE_SIZE copies of one id: one upstream call', async () => {
    const ids = Array.from({ length: 100 }, () => nodeId(firstId));
    const res = await post('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.nodes).toHaveLength(100);
    expect(sandbox.requests).toHaveLength(1);
  });

  it('first passed as a variable is priced like a literal: QUERY_TOO_COMPLEX, no upstream call', async () => {
    const node = 'sessionId generatedTitle lastUpdatedAt indexIds jobMetadata { turns isError }';
    const fields = Array.from(
      { length: 30 },
      (_, i) =>
        `a${i}: chatSessions(first: $n, after: $after${i % 2}) { edges { cursor node { ${node} } } }`,
    );
    const query = `query Wide($n: Int, $after0: String, $after1: String) { ${fields.join(' ')} }`;
    const res = await post(query, { n: 100 });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(res.body.errors[0].message).toMatch(/Cost limit of 100000 exceeded/);
    expect(sandbox.requests).toHaveLength(0);
    expect(res.elapsedMs).toBeLessThan(BOUND_MS);
    // The same operation with a small first passes.
    expect((await post(query, { n: 2 })).body.errors).toBeUndefined();
  });

  it('a variable of the wrong type: BAD_USER_INPUT, no upstream call', async () => {
    const res = await post('query($n: Int) { chatSessions(first: $n) { edges { cursor } } }', {
      n: 'lots',
    });
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(sandbox.requests).toHaveLength(0);
  });
});

describe('deadline and response size', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        EXECUTION_TIMEOUT_MS: '300',
        UPSTREAM_TIMEOUT_MS: '20000',
        MAX_RESPONSE_BYTES: '20000',
      },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  it('an operation past EXECUTION_TIMEOUT_MS ends with EXECUTION_TIMEOUT and its upstream call is aborted', async () => {
    stack.sandbox.faults.add({ kind: 'hang' });
    const res = await stack.graphql('{ chatSessions(first: 2) { edges { cursor } } }');
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'EXECUTION_TIMEOUT',
      timeoutMs: 300,
    });
    expect(res.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(res.elapsedMs).toBeLessThan(BOUND_MS);
    await expect.poll(() => stack.listCalls()[0]?.aborted).toBe(true);
    expect(stack.listCalls()).toHaveLength(1);
  });

  it('a deferred part larger than MAX_RESPONSE_BYTES carries RESPONSE_TOO_LARGE in its place', async () => {
    const node = 'sessionId generatedTitle lastUpdatedAt indexIds';
    const run = subscribeOverSse(
      stack.gateway.url,
      `{ chatSessions(first: 2) { edges { cursor } }
         ... @defer { big: chatSessions(first: 100) { edges { cursor node { ${node} } } } } }`,
    );
    await run.done;
    const [first, later] = run.received.map((r) => r.payload as Record<string, any>);
    expect(first?.data?.chatSessions.edges).toHaveLength(2);
    expect(later?.incremental?.[0]).toMatchObject({
      path: [],
      data: null,
      errors: [{ extensions: { code: 'RESPONSE_TOO_LARGE', maxBytes: 20_000 } }],
    });
    expect(JSON.stringify(later).length).toBeLessThan(2_000);
  });

  it('a result larger than MAX_RESPONSE_BYTES is refused with RESPONSE_TOO_LARGE', async () => {
    const node = 'sessionId generatedTitle lastUpdatedAt indexIds';
    const res = await stack.graphql(
      `{ chatSessions(first: 100) { edges { cursor node { ${node} } } } }`,
    );
    expect(res.body.data).toBeNull();
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
      maxBytes: 20_000,
    });
    expect(res.text.length).toBeLessThan(2_000);
    // A smaller answer of the same shape is served.
    const small = await stack.graphql(
      `{ chatSessions(first: 5) { edges { cursor node { ${node} } } } }`,
    );
    expect(small.body.errors).toBeUndefined();
  });
});
