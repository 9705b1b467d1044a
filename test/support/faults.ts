/**
 * Fault injection for the test double around the sandbox (faulty-sandbox.ts): tests program how
 * the next requests misbehave, so every failure mode of the real API can be exercised over real
 * HTTP. None of this ships: the product sandbox (src/sandbox) has no faults.
 *
 * Rules are checked in the order they were added; the first rule that matches a request and
 * has uses left decides its fate. Requests no rule matches get the normal answer.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createParser } from 'eventsource-parser';
import { sendAnswer } from '../../src/sandbox/server.js';
import type { SandboxAnswer } from '../../src/sandbox/server.js';

/** A response body to send as is. */
export type FaultBody =
  /** Serialised as JSON, `content-type: application/json`. */
  | { json: unknown }
  /** Raw text with the given content type (default `text/html`). */
  | { text: string; contentType?: string }
  /** No body at all (and no content type). */
  | { empty: true };

export type Fault =
  /** Answer with this status (5xx, 429 with Retry-After, 401/403/404/422…) and body. */
  | { kind: 'status'; status: number; body?: FaultBody; headers?: Record<string, string> }
  /** Accept the request and never answer (until the client gives up or the sandbox closes). */
  | { kind: 'hang' }
  /**
   * Hold the answer until `until` settles, then answer as `then` says (default: the normal
   * answer): a request deterministically in flight, for as long as the test needs.
   */
  | { kind: 'hold'; until: Promise<unknown>; then?: Fault }
  /** The normal answer, dribbled out in `chunks` pieces spread over `totalMs`. */
  | { kind: 'slow-body'; totalMs: number; chunks?: number }
  /** A 2xx with this body instead of the normal answer (malformed JSON, HTML, wrong type…). */
  | { kind: 'body'; body: FaultBody; status?: number }
  /** The normal answer reshaped (missing or mistyped fields), optionally under another type. */
  | { kind: 'transform'; transform: (answer: unknown) => unknown; contentType?: string }
  /** Drop the connection: before any byte of the response, or half-way through the body. */
  | { kind: 'reset'; at: 'before-headers' | 'mid-body' }
  /** A valid JSON 200 padded to `bytes`, with or without a Content-Length header. */
  | { kind: 'oversized'; bytes: number; contentLength: boolean }
  /**
   * A streamed turn cut once `afterEvents` SSE messages with data have been sent (comments do
   * not count): the socket destroyed (`reset`), the response ended cleanly before its stop event
   * (`end`), or left open with nothing more sent (`hang`).
   */
  | { kind: 'cut-stream'; afterEvents: number; how: 'reset' | 'end' | 'hang' }
  /** A `200 text/event-stream` whose body never sends a byte (until the client goes). */
  | { kind: 'silent-stream' };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The JSON request body (POST), when there is one. */
  body?: unknown;
  /** The x-request-id header, when sent. */
  requestId: string | undefined;
  /**
   * 1-based: how many requests with the same x-request-id, path and query the sandbox has seen,
   * this one included. `attempt > 1` is a retry of the same upstream call.
   */
  attempt: number;
  /** performance.now() when the request arrived. */
  receivedAt: number;
  /** The fault applied, if any. */
  fault: Fault['kind'] | undefined;
  /** Set when the client closed the connection before the response was complete. */
  aborted: boolean;
  /** performance.now() when the response closed (finished, or the connection went). */
  closedAt?: number | undefined;
}

export interface FaultOptions {
  /** How many matching requests the rule applies to (default: every one). */
  times?: number;
  /** Only requests for which this is true (default: all). */
  when?: (request: RecordedRequest) => boolean;
}

export interface FaultRule extends FaultOptions {
  fault: Fault;
  /** How many requests the rule has been applied to. */
  used: number;
}

export class FaultRules {
  readonly #rules: FaultRule[] = [];

  /** Adds a rule after the existing ones and returns it (its `used` counts applications). */
  add(fault: Fault, options: FaultOptions = {}): FaultRule {
    const rule: FaultRule = { fault, ...options, used: 0 };
    this.#rules.push(rule);
    return rule;
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /** The fault for this request, consuming one use of the rule that supplies it. */
  take(request: RecordedRequest): Fault | undefined {
    for (const rule of this.#rules) {
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (rule.when && !rule.when(request)) continue;
      rule.used++;
      return rule.fault;
    }
    return undefined;
  }
}

/**
 * Sends the normal answer the way `fault` says; `normal` is computed only when the fault
 * uses it, so a fault that replaces a write's answer (a status, a hang) makes no write.
 */
export async function sendFault(
  res: ServerResponse,
  fault: Fault,
  normal: () => SandboxAnswer,
  signal: AbortSignal,
): Promise<void> {
  const answerOf = () => {
    const answer = normal();
    return 'body' in answer ? answer.body : undefined;
  };
  switch (fault.kind) {
    case 'cut-stream':
      return cutStream(res, normal(), fault.afterEvents, fault.how);
    case 'silent-stream':
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      return; // Nothing more; closing the sandbox destroys the socket.
    case 'status':
      return sendBody(res, fault.status, fault.body ?? { empty: true }, fault.headers);
    case 'body':
      return sendBody(res, fault.status ?? 200, fault.body);
    case 'transform': {
      const text = JSON.stringify(fault.transform(structuredClone(answerOf())));
      return sendBody(res, 200, { text, contentType: fault.contentType ?? 'application/json' });
    }
    case 'hang':
      return; // The socket stays open; closing the sandbox destroys it.
    case 'hold': {
      const closed = new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([fault.until, closed]);
      if (signal.aborted || res.destroyed) return;
      if (fault.then) return sendFault(res, fault.then, normal, signal);
      return sendAnswer(res, normal());
    }
    case 'slow-body':
      return dribble(res, JSON.stringify(answerOf()), fault.totalMs, fault.chunks ?? 10, signal);
    case 'reset':
      return reset(res, JSON.stringify(answerOf()), fault.at);
    case 'oversized':
      return oversized(res, fault.bytes, fault.contentLength, signal);
  }
}

/**
 * The normal event stream, cut after `afterEvents` data messages. Messages are counted with
 * eventsource-parser on what was written, so a message split across writes counts once, when it
 * is complete, and the cut comes right after it.
 */
async function cutStream(
  res: ServerResponse,
  answer: SandboxAnswer,
  afterEvents: number,
  how: 'reset' | 'end' | 'hang',
): Promise<void> {
  if (!('events' in answer)) {
    // Not a stream (a 404 or 422 before streaming): answered as usual.
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    return;
  }
  res.writeHead(answer.status, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
  });
  let sent = 0;
  const parser = createParser({ onEvent: ({ data }) => void (data !== '' && sent++) });
  const cut = async () => {
    if (how === 'end') res.end();
    else if (how === 'reset') await new Promise<void>((resolve) => res.write('', () => resolve()));
    if (how === 'reset') res.socket?.destroy();
  };
  if (afterEvents === 0) return cut();
  for await (const chunk of answer.events) {
    if (res.destroyed) return;
    res.write(chunk);
    parser.feed(chunk);
    if (sent >= afterEvents) return cut();
  }
  res.end();
}

function sendBody(
  res: ServerResponse,
  status: number,
  body: FaultBody,
  headers: Record<string, string> = {},
): void {
  let text = '';
  let contentType: string | undefined;
  if ('json' in body) {
    text = JSON.stringify(body.json);
    contentType = 'application/json';
  } else if ('text' in body) {
    text = body.text;
    contentType = body.contentType ?? 'text/html';
  }
  res.writeHead(status, {
    ...(contentType && { 'content-type': contentType }),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function dribble(
  res: ServerResponse,
  text: string,
  totalMs: number,
  chunks: number,
  signal: AbortSignal,
): Promise<void> {
  const bytes = Buffer.from(text);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
  const size = Math.ceil(bytes.length / chunks);
  for (let offset = 0; offset < bytes.length; offset += size) {
    await sleep(totalMs / chunks, undefined, { signal });
    if (res.destroyed) return;
    res.write(bytes.subarray(offset, offset + size));
  }
  res.end();
}

function reset(res: ServerResponse, text: string, at: 'before-headers' | 'mid-body'): void {
  if (at === 'before-headers') {
    res.socket?.destroy();
    return;
  }
  const bytes = Buffer.from(text);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
  // Flush half the body, then cut the connection: the client sees a truncated response.
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
}

async function oversized(
  res: ServerResponse,
  bytes: number,
  contentLength: boolean,
  signal: AbortSignal,
): Promise<void> {
  const head = Buffer.from('{"items":[],"next_page_token":null,"padding":"');
  const tail = Buffer.from('"}');
  const padding = Math.max(0, bytes - head.length - tail.length);
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(contentLength && { 'content-length': head.length + padding + tail.length }),
  });
  res.write(head);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let left = padding; left > 0; left -= chunk.length) {
    if (res.destroyed) return;
    // Respect back-pressure, and stop as soon as the client hangs up.
    if (!res.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
      if (signal.aborted) return;
    }
  }
  res.end(tail);
}
