/**
 * GraphQL over WebSocket (the `graphql-transport-ws` protocol of graphql-ws) on the GraphQL
 * path, beside GraphQL over HTTP and SSE. Operations run through the same Yoga app
 * (`getEnveloped`: the same schema, limits, error boundary and context), so a subscription is
 * the same whichever transport carries it.
 *
 * The upgrade passes the same gates as an HTTP request, before any WebSocket exists:
 * - the Host allow-list (421), as for HTTP (src/plugins/host.ts);
 * - cross-site WebSocket hijacking: browsers send no preflight for an upgrade, so a request with
 *   an `Origin` is accepted only from the gateway's own origin or one in CORS_ORIGINS (403);
 *   clients that are not browsers send no Origin;
 * - messages are capped like request bodies (MAX_REQUEST_BODY_BYTES).
 * The credential is `connectionParams.authorization`, else the upgrade's `Authorization`
 * header, and is checked per operation exactly as over HTTP (src/context.ts). With caller
 * authentication (AUTH_JWKS_URL) it is the caller's JWT, verified once at `connection_init`: a
 * missing or refused token closes the socket with 4403 (graphql-ws's "Forbidden"), and each
 * operation runs as the connection's caller (docs/architecture.md, "Callers").
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError } from 'graphql';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GatewayApp } from '../app.js';
import { attachCaller } from '../auth/caller.js';
import type { Caller } from '../auth/caller.js';
import type { CallerAuthenticator } from '../auth/verify.js';
import type { GatewayContext } from '../context.js';
import { hostName } from '../plugins/host.js';
import { MAX_REQUEST_BODY_BYTES } from '../plugins/body-limit.js';
import { resolvePersistedOperation } from '../plugins/trusted-documents.js';

export interface GraphQLOverWebSocketOptions {
  server: Server;
  app: GatewayApp;
  path: string;
  /** Normalised host names, or `['*']` (ALLOWED_HOSTS). */
  allowedHosts: readonly string[];
  /** Origins allowed cross-origin (CORS_ORIGINS), or `['*']`. */
  corsOrigins: readonly string[];
  /** Verifies the caller's JWT at `connection_init` (AUTH_JWKS_URL); none = no caller auth. */
  authenticator?: CallerAuthenticator | undefined;
}

export interface GraphQLOverWebSocket {
  /** Open WebSocket connections. */
  connections(): number;
  /** Closes every connection with 1001 (going away) and stops accepting new ones. */
  close(): Promise<void>;
}

/** `connectionParams.authorization`, else the upgrade's `Authorization` header. */
function authorizationOf(
  connectionParams: Readonly<Record<string, unknown>> | undefined,
  upgrade: IncomingMessage,
): string | undefined {
  const fromParams = connectionParams?.authorization;
  return typeof fromParams === 'string' ? fromParams : upgrade.headers.authorization;
}

/** How long a peer gets to answer the close frame at shutdown. */
const CLOSE_GRACE_MS = 1_000;

/** Headers an operation's context reads from the upgrade request. */
const FORWARDED_HEADERS = ['x-request-id', 'traceparent', 'tracestate'] as const;

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () =>
    socket.destroy(),
  );
}

export function serveGraphQLOverWebSocket(
  options: GraphQLOverWebSocketOptions,
): GraphQLOverWebSocket {
  const { server, app, path } = options;
  const anyHost = options.allowedHosts.includes('*');
  const allowedHosts = new Set(options.allowedHosts);
  const anyOrigin = options.corsOrigins.includes('*');
  const allowedOrigins = new Set(options.corsOrigins);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BODY_BYTES });

  /** Whether a browser page at `origin` may open this socket (null: not a browser). */
  function originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (anyOrigin || allowedOrigins.has(origin)) return true;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== path) return refuse(socket, 404, 'Not Found');
    const host = hostName(req.headers.host ?? null);
    if (!anyHost && (host === undefined || !allowedHosts.has(host))) {
      return refuse(socket, 421, 'Misdirected Request');
    }
    if (!originAllowed(req.headers.origin, req.headers.host)) {
      return refuse(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  }
  server.on('upgrade', onUpgrade);

  // One abort per operation: its upstream calls end when it completes or its socket closes.
  const operations = new Map<string, AbortController>();
  const operationKey = (socketId: object, id: string) => `${sockets.get(socketId) ?? 0}:${id}`;
  const sockets = new WeakMap<object, number>();
  let nextSocket = 0;
  /** Each connection's verified caller (caller authentication only). */
  const callers = new WeakMap<object, Caller>();

  useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      async onConnect(ctx) {
        sockets.set(ctx.extra.socket, ++nextSocket);
        if (!options.authenticator) return true;
        try {
          const authorization = authorizationOf(ctx.connectionParams, ctx.extra.request);
          callers.set(ctx.extra.socket, await options.authenticator.authenticate(authorization));
          return true;
        } catch {
          return false; // graphql-ws closes the socket with 4403 Forbidden
        }
      },
      async onSubscribe(ctx, id, payload) {
        const { request: upgrade } = ctx.extra;
        const headers = new Headers({ 'content-type': 'application/json' });
        const authorization = authorizationOf(ctx.connectionParams, upgrade);
        if (authorization) headers.set('authorization', authorization);
        for (const name of FORWARDED_HEADERS) {
          const value = upgrade.headers[name];
          if (typeof value === 'string') headers.set(name, value);
        }
        const controller = new AbortController();
        const request = new Request(`http://${upgrade.headers.host ?? 'gateway'}${path}`, {
          method: 'POST',
          headers,
          signal: controller.signal,
        });
        const caller = callers.get(ctx.extra.socket);
        if (caller) attachCaller(request, caller);
        // `req` as node's HTTP server context has it: the caller's address (src/limits/caller.ts).
        const initial = { request, req: upgrade, params: payload, transport: 'graphql-ws' };
        const enveloped = app.getEnveloped(initial);
        // Trusted documents and APQ: Yoga's onParams runs over HTTP only (src/plugins/trusted-documents.ts).
        let params;
        try {
          params = await resolvePersistedOperation(initial);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('Unexpected error.')];
        }
        let document;
        try {
          document = enveloped.parse(params.query ?? '');
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('Syntax error.')];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: params.operationName ?? null,
          variableValues: params.variables ?? null,
          contextValue: await enveloped.contextFactory(),
          rootValue: enveloped,
        };
        // Only an operation that will run is tracked: graphql-ws calls onComplete (which forgets
        // it) after execution, never for one refused above, whose entry would stay for the life
        // of the socket.
        operations.set(operationKey(ctx.extra.socket, id), controller);
        return args;
      },
      onNext(_ctx, _id, _payload, args, result) {
        // As over HTTP, every error names the request id of its operation.
        const { requestId } = (args.contextValue as GatewayContext).record;
        if (!result.errors?.length) return undefined;
        return {
          ...result,
          errors: result.errors.map((error) => ({
            ...error.toJSON(),
            extensions: { ...error.extensions, requestId },
          })),
        };
      },
      onComplete(ctx, id) {
        const key = operationKey(ctx.extra.socket, id);
        operations.get(key)?.abort();
        operations.delete(key);
      },
      onClose(ctx) {
        const prefix = `${sockets.get(ctx.extra.socket) ?? 0}:`;
        for (const [key, controller] of operations) {
          if (!key.startsWith(prefix)) continue;
          controller.abort();
          operations.delete(key);
        }
      },
    },
    wss,
  );

  return {
    connections: () => wss.clients.size,
    async close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      // A peer that never answers the close frame is cut after a grace period: ws would wait
      // 30 s for it, longer than Kubernetes' default grace period for the whole shutdown.
      const grace = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, CLOSE_GRACE_MS);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      clearTimeout(grace);
    },
  };
}

type Enveloped = ReturnType<GatewayApp['getEnveloped']>;
