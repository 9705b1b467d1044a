/**
 * The open chat-turn streams of this process (docs/architecture.md, "Streams"): a cap
 * (MAX_CONCURRENT_STREAMS), one report per stream when it ends (logs and metrics), and the
 * shutdown rule: open streams get SHUTDOWN_TIMEOUT_MS to finish, then are ended with a coded
 * error rather than cut.
 */

/**
 * More streams than MAX_CONCURRENT_STREAMS are open (`process`), or than MAX_STREAMS_PER_CALLER
 * for this caller (`caller`): TOO_MANY_STREAMS at the boundary.
 */
export class StreamLimitError extends Error {
  override name = 'StreamLimitError';
  constructor(
    readonly limit: number,
    readonly scope: 'process' | 'caller' = 'process',
  ) {
    super(`more than ${limit} concurrent streams${scope === 'caller' ? ' for one caller' : ''}`);
  }
}

/** The gateway is shutting down and ended the stream: SHUTTING_DOWN at the boundary. */
export class StreamEndedByShutdownError extends Error {
  override name = 'StreamEndedByShutdownError';
  constructor() {
    super('the gateway is shutting down');
  }
}

export type StreamTransport = 'sse' | 'graphql-ws' | 'other';

/** How a stream ended: `completed` after its last event, `cancelled` when the client left. */
export type StreamOutcome = 'completed' | 'error' | 'cancelled' | 'shutdown';

export interface StreamReport {
  requestId: string;
  transport: StreamTransport;
  durationMs: number;
  events: number;
  outcome: StreamOutcome;
  /** `extensions.code` of the error that ended it, when one did. */
  errorCode?: string | undefined;
}

/** One open stream. `ended` aborts when the registry ends it (shutdown). */
export interface StreamHandle {
  readonly ended: AbortSignal;
  /** Reports the stream and frees its slot; later calls do nothing. */
  close(report: Omit<StreamReport, 'durationMs'>): void;
}

export interface StreamRegistryOptions {
  maxStreams: number;
  /** Streams one caller may have open at once (MAX_STREAMS_PER_CALLER); undefined = no cap. */
  maxStreamsPerCaller?: number | undefined;
  /** Called once per stream when it ends. */
  onClose?: (report: StreamReport) => void;
}

export class StreamRegistry {
  readonly #open = new Set<AbortController>();
  /** Open streams per caller key (only callers with one open). */
  readonly #perCaller = new Map<string, number>();
  readonly #options: StreamRegistryOptions;
  #idle: (() => void) | undefined;
  #draining = false;

  constructor(options: StreamRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Streams `caller` has open right now. */
  openBy(caller: string): number {
    return this.#perCaller.get(caller) ?? 0;
  }

  /**
   * A slot for a new stream of `caller` (src/limits/caller.ts); throws StreamLimitError when
   * every slot is taken, or the caller's are. The slot is freed by `close`, however the stream
   * ends.
   */
  open(caller?: string): StreamHandle {
    // Shutting down: no new stream starts (its upstream turn would be cut at once).
    if (this.#draining) throw new StreamEndedByShutdownError();
    if (this.#open.size >= this.#options.maxStreams) {
      throw new StreamLimitError(this.#options.maxStreams);
    }
    const perCaller = this.#options.maxStreamsPerCaller;
    if (caller !== undefined && perCaller !== undefined && this.openBy(caller) >= perCaller) {
      throw new StreamLimitError(perCaller, 'caller');
    }
    const controller = new AbortController();
    this.#open.add(controller);
    if (caller !== undefined) this.#perCaller.set(caller, this.openBy(caller) + 1);
    const started = performance.now();
    let closed = false;
    return {
      ended: controller.signal,
      close: (report) => {
        if (closed) return;
        closed = true;
        this.#open.delete(controller);
        if (caller !== undefined) {
          const left = this.openBy(caller) - 1;
          if (left > 0) this.#perCaller.set(caller, left);
          else this.#perCaller.delete(caller);
        }
        this.#options.onClose?.({ ...report, durationMs: performance.now() - started });
        if (this.#open.size === 0) this.#idle?.();
      },
    };
  }

  /**
   * Shutdown: waits up to `timeoutMs` for the open streams to finish, then ends the rest (each
   * sends its SHUTTING_DOWN error and closes) and waits `graceMs` for them to go.
   */
  async drain(timeoutMs: number, graceMs = 1_000): Promise<{ ended: number }> {
    this.#draining = true;
    if (await this.#whenIdle(timeoutMs)) return { ended: 0 };
    const ended = this.#open.size;
    for (const controller of this.#open) controller.abort(new StreamEndedByShutdownError());
    await this.#whenIdle(graceMs);
    return { ended };
  }

  #whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idle = undefined;
        resolve(false);
      }, timeoutMs);
      this.#idle = () => {
        clearTimeout(timer);
        this.#idle = undefined;
        resolve(true);
      };
    });
  }
}
