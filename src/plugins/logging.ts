/**
 * One pino line per GraphQL request, written when its response is ready:
 *
 *   {"level":"info","msg":"graphql request","requestId":"…","operationName":"RecentChatSessions",
 *    "operationType":"query","status":200,"durationMs":12.3,"upstreamCalls":1,"errorCodes":[]}
 *
 * Only facts about the operation are logged: never headers, variables, the query text or a
 * credential. Requests that are not GraphQL (health probes, /metrics, the GraphiQL page) are not
 * logged here.
 */
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { describeOperation, errorCodesOf } from './operation.js';
import type { OperationInfo } from './operation.js';
import { requestTrace } from './request-id.js';

interface RequestState {
  started: number;
  graphql: boolean;
  /** The name the client asked for, when the document never got to execution. */
  requestedName: string | undefined;
  operation: OperationInfo | undefined;
  upstreamCalls: (() => number) | undefined;
  codes: string[];
}

/** Longest client-supplied operation name kept in a log line. */
const MAX_NAME_LENGTH = 100;

export function useRequestLogging(logger: Logger): Plugin {
  const requests = new WeakMap<Request, RequestState>();
  return {
    instrumentation: {
      request({ request }, wrapped) {
        requests.set(request, {
          started: performance.now(),
          graphql: false,
          requestedName: undefined,
          operation: undefined,
          upstreamCalls: undefined,
          codes: [],
        });
        return wrapped();
      },
    },
    onParams({ request, params }) {
      const state = requests.get(request);
      if (!state) return;
      state.graphql = true;
      if (typeof params.operationName === 'string') {
        state.requestedName = params.operationName.slice(0, MAX_NAME_LENGTH);
      }
    },
    onExecute({ args }) {
      const context = args.contextValue as typeof args.contextValue & {
        upstreamCalls?: () => number;
      };
      const state = requests.get(context.request);
      if (!state) return;
      state.operation = describeOperation(args.document, args.operationName);
      state.upstreamCalls = context.upstreamCalls;
    },
    onResultProcess({ request, result }) {
      const state = requests.get(request);
      if (!state) return;
      state.graphql = true;
      state.codes = errorCodesOf(result);
    },
    onResponse({ request, response }) {
      const state = requests.get(request);
      requests.delete(request);
      if (!state?.graphql) return;
      logger.info(
        {
          requestId: requestTrace(request).requestId,
          operationName: state.operation
            ? (state.operation.name ?? null)
            : (state.requestedName ?? null),
          operationType: state.operation?.type ?? null,
          status: response.status,
          durationMs: Math.round((performance.now() - state.started) * 10) / 10,
          upstreamCalls: state.upstreamCalls?.() ?? 0,
          errorCodes: state.codes,
        },
        'graphql request',
      );
    },
  };
}
