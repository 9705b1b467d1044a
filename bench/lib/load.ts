/**
 * One load run with autocannon, in the driver's process.
 *
 * autocannon's own latency histogram keeps whole milliseconds, too coarse for a 1 ms budget at
 * concurrency 1, so every response time (a float from process.hrtime) is recorded here and the
 * percentiles computed exactly. Only 2xx responses whose body passes the scenario's check count
 * as successful; everything else is counted and reported as an error.
 */
import autocannon from 'autocannon';

export interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** True when a response body is correct. */
  verify: (body: string) => boolean;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  /** Called every `tickMs` (default 1000) while running (sustained mode samples memory here). */
  onTick?: (elapsedSeconds: number, completed: number) => void;
  tickMs?: number;
}

export interface LatencyStats {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  durationSeconds: number;
  /** Responses that were 2xx with a correct body. */
  ok: number;
  /** Successful requests per second. */
  rps: number;
  /** Milliseconds, of 2xx responses. */
  latency: LatencyStats;
  non2xx: number;
  /** 2xx responses whose body failed the check (GraphQL `errors`, wrong data). */
  mismatches: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** One bad body, truncated, to say what went wrong. */
  sampleMismatch: string | undefined;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function latencyStats(values: Float64Array): LatencyStats {
  const sorted = values.slice().sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

export function runLoad(request: LoadRequest, options: LoadOptions): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let completed = 0;
  let lastStatus = 0;
  let badBodies = 0;
  let sampleMismatch: string | undefined;
  // autocannon emits 'response' and then verifies that response's body, synchronously.
  const verify = (raw: string | Buffer | undefined) => {
    const body = typeof raw === 'string' ? raw : (raw?.toString('utf8') ?? '');
    const good = request.verify(body);
    if (!good) {
      if (lastStatus >= 200 && lastStatus < 300) badBodies++;
      sampleMismatch ??= `${lastStatus} ${body.slice(0, 500)}`;
    }
    return good;
  };

  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: request.body,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSeconds,
        timeout: 10,
        verifyBody: verify,
      },
      (error, result) => {
        clearInterval(ticker);
        if (error) return reject(error);
        const durationSeconds = (performance.now() - started) / 1000;
        const ok = count - badBodies;
        resolve({
          durationSeconds,
          ok,
          rps: ok / durationSeconds,
          latency: latencyStats(latencies.subarray(0, count)),
          non2xx: result.non2xx,
          mismatches: badBodies,
          errors: result.errors,
          timeouts: result.timeouts,
          sampleMismatch,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      completed++;
      lastStatus = statusCode;
      if (statusCode < 200 || statusCode >= 300) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
    const ticker = setInterval(() => {
      options.onTick?.((performance.now() - started) / 1000, completed);
    }, options.tickMs ?? 1_000);
  });
}
