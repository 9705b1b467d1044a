/**
 * Creates the request's record (src/observability/request-record.ts) when it arrives and writes
 * what Yoga learns about it: that it is GraphQL, the operation that ran, the error codes of the
 * result and the response status. Listed first among the plugins, so every later `onResponse`
 * hook reads a complete record.
 */
import type { Plugin } from 'graphql-yoga';
import { describeOperation, errorCodesOf } from '../observability/operation.js';
import { requestRecord } from '../observability/request-record.js';

/** Longest client-supplied operation name kept before the document is known to be valid. */
const MAX_NAME_LENGTH = 100;

export function useRequestRecord(): Plugin {
  return {
    // Instrumentation wraps every request, even those answered by a plugin that runs earlier
    // (health check, CORS preflight, GraphiQL), so each one is timed from its arrival.
    instrumentation: {
      request({ request }, wrapped) {
        requestRecord(request);
        return wrapped();
      },
    },
    onParams({ request, params }) {
      const record = requestRecord(request);
      record.graphql = true;
      if (typeof params.operationName === 'string') {
        record.requestedOperationName = params.operationName.slice(0, MAX_NAME_LENGTH);
      }
    },
    onExecute({ args }) {
      requestRecord(args.contextValue.request).operation = describeOperation(
        args.document,
        args.operationName,
      );
    },
    onResultProcess({ request, result }) {
      const record = requestRecord(request);
      record.graphql = true;
      record.errorCodes = errorCodesOf(result);
    },
    onResponse({ request, response }) {
      requestRecord(request).status = response.status;
    },
  };
}
