/**
 * The test double of the upstream: the product sandbox's answers (src/sandbox/server.ts,
 * `createSandboxApi`) served by a server of its own that also records every request it receives
 * and applies programmed faults (./faults.ts). Tests read `requests` to count upstream calls and
 * see what the gateway sent; `faults.add(...)` makes the next matching requests misbehave.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSandboxApi, readRequest, sendAnswer } from '../../src/sandbox/server.js';
import type { Sandbox, SandboxAnswer, SandboxOptions } from '../../src/sandbox/server.js';
import { FaultRules, sendFault } from './faults.js';
import type { RecordedRequest } from './faults.js';

export type { Fault, FaultBody, FaultOptions, FaultRule, RecordedRequest } from './faults.js';

export interface FaultySandbox extends Sandbox {
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  /** Programmed faults: `sandbox.faults.add({ kind: 'status', status: 503 }, { times: 1 })`. */
  faults: FaultRules;
  /** Forgets recorded requests and attempt counts (faults stay). */
  clearRequests(): void;
  /** Requests received whose response has not closed yet (answered or cut). */
  inFlight(): number;
}

export async function startFaultySandbox(options: SandboxOptions = {}): Promise<FaultySandbox> {
  const api = createSandboxApi(options);
  const requests: RecordedRequest[] = [];
  const attempts = new Map<string, number>();
  const faults = new FaultRules();
  // Aborted on close, so dribbling fault responses stop at once.
  const closing = new AbortController();
  let open = 0;

  function record(req: IncomingMessage, url: URL): RecordedRequest {
    const requestId = req.headers['x-request-id'] as string | undefined;
    const attemptKey = `${requestId ?? ''} ${url.pathname}${url.search}`;
    const attempt = (attempts.get(attemptKey) ?? 0) + 1;
    attempts.set(attemptKey, attempt);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      requestId,
      attempt,
      receivedAt: performance.now(),
      fault: undefined,
      aborted: false,
    };
    requests.push(recorded);
    return recorded;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const recorded = record(req, url);
    open++;
    res.once('close', () => {
      recorded.closedAt = performance.now();
      open--;
      if (!res.writableFinished) recorded.aborted = true;
    });
    const request = await readRequest(req);
    recorded.body = request?.body;
    if (options.latencyMs) await sleep(options.latencyMs, undefined, { signal: closing.signal });
    const answer = (): SandboxAnswer =>
      request
        ? api.answer(request)
        : { status: 422, body: { detail: 'Input should be a JSON object' } };
    const fault = faults.take(recorded);
    if (fault) {
      recorded.fault = fault.kind;
      // Faults that replace the answer do not compute it: a 503 on a create creates nothing.
      return sendFault(res, fault, answer, closing.signal);
    }
    await sendAnswer(res, answer());
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    dataset: api.dataset,
    faults,
    clearRequests() {
      requests.length = 0;
      attempts.clear();
    },
    inFlight: () => open,
    connections: () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
