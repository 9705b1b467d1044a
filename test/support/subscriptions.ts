/**
 * Subscription clients for tests, as real clients speak to the gateway: GraphQL over SSE
 * (a JSON POST with `Accept: text/event-stream`, read with eventsource-parser) and graphql-ws
 * (the protocol's own client over `ws`). Each payload is stamped with its arrival time.
 */
import { createParser } from 'eventsource-parser';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface Received {
  payload: {
    data?: Record<string, any> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
  /** performance.now() when it arrived. */
  at: number;
}

export interface SubscriptionRun {
  received: Received[];
  /** Resolves when the server completes the subscription (or the connection ends). */
  done: Promise<void>;
  status: Promise<number>;
}

export interface SubscribeOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** GraphQL over SSE ("distinct connections" mode): one POST per subscription. */
export function subscribeOverSse(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: SubscribeOptions = {},
): SubscriptionRun {
  const received: Received[] = [];
  let resolveStatus!: (status: number) => void;
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  const done = (async () => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...options.headers,
      },
      body: JSON.stringify({ query, variables }),
      ...(options.signal && { signal: options.signal }),
    });
    resolveStatus(res.status);
    let complete = false;
    const parser = createParser({
      onEvent(message) {
        if (message.event === 'complete') complete = true;
        else if (message.event === 'next' || message.event === undefined) {
          received.push({ payload: JSON.parse(message.data), at: performance.now() });
        }
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (complete) break;
    }
  })();
  return { received, done, status };
}

/** graphql-ws (`graphql-transport-ws`), one connection per subscription. */
export function subscribeOverWebSocket(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  connectionParams?: Record<string, unknown>,
): SubscriptionRun & { dispose(): Promise<void> } {
  const received: Received[] = [];
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    ...(connectionParams && { connectionParams }),
  });
  const done = new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query, variables },
      {
        next: (payload) =>
          received.push({ payload: payload as Received['payload'], at: performance.now() }),
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(),
      },
    );
  });
  return {
    received,
    done,
    status: Promise.resolve(101),
    dispose: async () => {
      await client.dispose();
    },
  };
}

/**
 * One operation over graphql-ws with its payload as given (persisted ids, `extensions`; the
 * protocol requires a `query` string, empty by default). Resolves with the last payload, or
 * with `{ errors }` when the server refuses the operation (an `error` message).
 */
export async function operationOverWebSocket(
  url: string,
  payload: Record<string, unknown>,
): Promise<Received['payload']> {
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  try {
    return await new Promise<Received['payload']>((resolve, reject) => {
      let last: Received['payload'] = {};
      client.subscribe({ query: '', ...payload } as { query: string }, {
        next: (value) => (last = value as Received['payload']),
        error: (error) =>
          Array.isArray(error)
            ? resolve({ errors: error as Received['payload']['errors'] })
            : reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(last),
      });
    });
  } finally {
    await client.dispose();
  }
}
