/**
 * Per-request context: who is calling (credential, and the verified caller when callers are
 * authenticated), and a fresh ChatApi (dedupe cache, call budget, the caller's scope rule) so
 * nothing cached is ever shared between two requests or two credentials. The one thing shared
 * across requests is an identical read in flight with the same credential (UPSTREAM_COALESCE,
 * src/upstream/coalesce.ts): never a stored answer.
 */
import type { YogaInitialContext } from 'graphql-yoga';
import { callerOf, scopeAuthorizer } from './auth/caller.js';
import type { Caller } from './auth/caller.js';
import { CallerAuthError } from './auth/errors.js';
import type { Config } from './config.js';
import { ErrorCode, gatewayError } from './errors.js';
import { requestRecord } from './observability/request-record.js';
import type { RequestRecord } from './observability/request-record.js';
import type { StreamRegistry, StreamTransport } from './streams/registry.js';
import { ChatApi } from './upstream/chat-api.js';
import type { UpstreamClient } from './upstream/client.js';
import { ReadCoalescer } from './upstream/coalesce.js';

/** What the gateway adds to Yoga's context for each request. */
export interface RequestContext {
  /** What logs and metrics report about this request (request id, upstream calls…). */
  record: RequestRecord;
  config: Config;
  /** Upstream access for this operation; throws UNAUTHENTICATED when there is no credential. */
  chatApi(): ChatApi;
  /** Aborts this operation's upstream calls (its execution deadline passed, shutdown). */
  cancel(): void;
  /** The process's open streams (chat turns): their cap and their reports. */
  streams: StreamRegistry;
  /** What carries this operation's results (for stream reports). */
  transport: StreamTransport;
  /**
   * The verified caller (AUTH_JWKS_URL set): its `sub`, allowed projects and token expiry.
   * Undefined when callers are not authenticated. docs/architecture.md, "Callers".
   */
  caller: Caller | undefined;
}

/** The context resolvers see. */
export type GatewayContext = YogaInitialContext & RequestContext;

export interface ContextDeps {
  config: Config;
  client: UpstreamClient;
  streams: StreamRegistry;
  /** Called once per upstream read joined in flight, with its endpoint template (metrics). */
  onCoalesced?: ((endpoint: string) => void) | undefined;
}

/** The WebSocket transport marks its operations (src/transport/graphql-ws.ts). */
interface TransportContext {
  transport?: StreamTransport;
}

/**
 * `Authorization: Bearer <token>`, the token in RFC 6750's characters
 * (`b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`), so nothing else
 * (non-ASCII, quotes, commas…) is ever forwarded upstream.
 */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** `Authorization: Bearer <token>` -> token; anything else -> undefined or an error. */
function bearerToken(header: string | null): string | undefined {
  if (header === null || header.trim() === '') return undefined;
  const match = BEARER.exec(header);
  if (!match) {
    // The message never repeats the header: it may be a key.
    throw gatewayError(
      ErrorCode.UNAUTHENTICATED,
      'The Authorization header must be "Bearer <LlamaCloud API key>", the key in RFC 6750 token characters.',
    );
  }
  return match[1];
}

/**
 * The operation's signal: `cancelled`'s, which the client going away (`request.signal`) also
 * aborts. Not `AbortSignal.any([request.signal, cancelled.signal])`: on Node 20 that builds a
 * composite signal with weak references per operation, some 2 % of the CPU of a list query
 * (bench/README.md, "Issue 14"); one listener on the request, which lives exactly as long, does
 * the same.
 */
function operationSignal(request: Request, cancelled: AbortController): AbortSignal {
  const clientGone = request.signal;
  if (clientGone.aborted) cancelled.abort();
  else clientGone.addEventListener('abort', () => cancelled.abort(), { once: true });
  return cancelled.signal;
}

export function createContextFactory({ config, client, streams, onCoalesced }: ContextDeps) {
  // The sandbox needs no key; every real upstream does.
  const credentialRequired = config.upstream.kind !== 'sandbox';
  // One per client, so per upstream origin: reads in flight, shared by this app's operations.
  const coalescer = config.upstreamCoalesce
    ? new ReadCoalescer({ onJoin: onCoalesced })
    : undefined;
  // The server key's reads, hashed once here rather than per operation: with caller
  // authentication every operation uses it.
  const serverKeyReads = coalescer?.forCredential(config.apiKey);
  return ({ request, transport }: YogaInitialContext & TransportContext): RequestContext => {
    const record = requestRecord(request);
    // Verified before the context exists (src/plugins/caller-auth.ts, src/transport/graphql-ws.ts).
    const caller = config.auth ? callerOf(request) : undefined;
    // Upstream calls end when the client goes away or the execution deadline cancels them.
    const cancelled = new AbortController();
    let api: ChatApi | undefined;
    return {
      record,
      config,
      chatApi() {
        if (api) return api;
        if (config.auth && !caller) throw new CallerAuthError('missing'); // fail closed
        // With caller authentication, Authorization carries the caller's JWT: never forwarded.
        const credential = config.auth
          ? config.apiKey
          : (bearerToken(request.headers.get('authorization')) ?? config.apiKey);
        if (credential === undefined && credentialRequired) {
          throw gatewayError(
            ErrorCode.UNAUTHENTICATED,
            'No LlamaCloud API key: send "Authorization: Bearer <key>" or set LLAMA_CLOUD_API_KEY on the gateway.',
          );
        }
        api = new ChatApi({
          client,
          maxCalls: config.maxUpstreamCallsPerOperation,
          streamIdleTimeoutMs: config.upstreamStreamIdleTimeoutMs,
          counter: record,
          authorizeScope: caller && scopeAuthorizer(caller),
          // With callers authenticated, every caller's calls carry the server key: they share
          // reads, each after its own scope check (docs/architecture.md, "The call budget").
          reads:
            credential === config.apiKey ? serverKeyReads : coalescer?.forCredential(credential),
          call: {
            credential,
            signal: operationSignal(request, cancelled),
            headers: record.upstreamHeaders,
          },
        });
        return api;
      },
      cancel: () => cancelled.abort(),
      streams,
      transport:
        transport ??
        (request.headers.get('accept')?.includes('text/event-stream') ? 'sse' : 'other'),
      caller,
    };
  };
}
