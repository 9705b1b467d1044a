/**
 * One load run with autocannon. Every response time is kept (autocannon's histogram rounds to
 * whole ms), and only 2xx responses whose body passes the scenario's check count as successful.
 */
import autocannon from 'autocannon';

export interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** True when a response body is correct. */
  verify: (body: string) => boolean;
  /**
   * Distinct requests sent in turn instead of `body` (round robin over all connections, so that
   * two identical requests are `variants.length` sends apart), each with its one correct body.
   */
  variants?: Array<{ body: string; expected: string }>;
}

export interface LoadResult {
  /** 2xx responses with a correct body, and their rate. */
  ok: number;
  rps: number;
  /** Milliseconds, of 2xx responses. */
  p50: number;
  p99: number;
  /** Non-2xx, wrong bodies, connection errors and timeouts. */
  errors: number;
  /** One bad response, truncated, to say what went wrong. */
  sample?: string;
}

export function runLoad(
  request: LoadRequest,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let status = 0;
  let bad = 0;
  let sample: string | undefined;
  /** With variants: whether the response autocannon is about to verify was its request's. */
  let variantOk = false;
  let next = 0;
  const { variants } = request;
  // Per connection, autocannon calls setupRequest before each request and onResponse (then the
  // 'response' event, then verifyBody) after it, with that connection's context: one request in
  // flight per connection, so the context holds the expected body of the response at hand.
  const requests: autocannon.Request[] | undefined = variants && [
    {
      setupRequest: (req, context) => {
        const v = variants[next++ % variants.length]!;
        (context as { expected?: string }).expected = v.expected;
        return { ...req, body: v.body };
      },
      onResponse: (_status, body, context) => {
        variantOk = String(body) === (context as { expected?: string }).expected;
      },
    },
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: request.body,
        ...(requests && { requests }),
        connections,
        duration: seconds,
        timeout: 10,
        verifyBody,
      },
      (error, result) => {
        if (error) return reject(error);
        const sorted = Float64Array.from(latencies).sort();
        const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
        const ok = latencies.length - bad;
        resolve({
          ok,
          rps: ok / ((performance.now() - started) / 1000),
          p50: at(0.5),
          p99: at(0.99),
          errors: result.non2xx + bad + result.errors + result.timeouts,
          ...(sample !== undefined && { sample }),
        });
      },
    );
    // autocannon emits 'response', then verifies that response's body, synchronously.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      status = statusCode;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });

  function verifyBody(raw: string | Buffer | undefined): boolean {
    const body = typeof raw === 'string' ? raw : (raw?.toString('utf8') ?? '');
    if (variants ? variantOk : request.verify(body)) return true;
    if (status >= 200 && status < 300) bad++;
    sample ??= `${status} ${body.slice(0, 300)}`;
    return false;
  }
}
