/**
 * One pino line per GraphQL request, written when its response is ready, from the request's
 * record (src/observability/request-record.ts):
 *
 *   {"level":"info","msg":"graphql request","requestId":"…","operationName":"RecentChatSessions",
 *    "operationType":"query","status":200,"durationMs":12.3,"upstreamCalls":1,
 *    "upstreamCallsJoined":0,"errorCodes":{}}
 *
 * Only facts about the operation are logged: never headers, variables, the query text or a
 * credential. `errorCodes` counts errors per code (`{"BAD_USER_INPUT":3}`), so the line stays
 * small however many errors the result holds. Requests that are not GraphQL (health probes, the
 * GraphiQL page) are not logged here.
 */
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { requestRecord } from '../observability/request-record.js';

export interface RequestLoggingOptions {
  logger: Logger;
}

export function useRequestLogging({ logger }: RequestLoggingOptions): Plugin {
  // This line's fields are built here from the record, so it cannot carry a credential: the
  // redact paths (src/logger.ts, a second line of defence for other lines) would cost a walk of
  // every line's object, a third of pino's time per line (bench/README.md, "Issue 14: the
  // per-request floor"). Every other line keeps them.
  const access = logger.child({}, { redact: { paths: [] } });
  return {
    onResponse({ request }) {
      const record = requestRecord(request);
      if (!record.graphql) return;
      access.info(
        {
          requestId: record.requestId,
          operationName: record.operation
            ? (record.operation.name ?? null)
            : (record.requestedOperationName ?? null),
          operationType: record.operation?.type ?? null,
          status: record.status,
          durationMs: Math.round(record.elapsedMs() * 10) / 10,
          upstreamCalls: record.upstreamCalls,
          upstreamCallsJoined: record.upstreamCallsJoined,
          errorCodes: Object.fromEntries(record.errorCodes),
        },
        'graphql request',
      );
    },
  };
}
