/**
 * Creates the request's record (src/observability/request-record.ts) when it arrives and writes
 * what Yoga learns about it: its path, that it is GraphQL, the operation that ran, how many
 * errors of each code the result holds and the response status. Listed first among the plugins,
 * so every later `onResponse` hook reads a complete record.
 */
import type { Plugin } from 'graphql-yoga';
import { describeOperation, errorCodesOf } from '../observability/operation.js';
import { requestRecord } from '../observability/request-record.js';

/** Longest client-supplied operation name kept (the requested one, and the one that ran). */
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
    onRequest({ request, url }) {
      requestRecord(request).pathname = url.pathname;
    },
    onParams({ request, params }) {
      const record = requestRecord(request);
      record.graphql = true;
      if (typeof params.operationName === 'string') {
        record.requestedOperationName = params.operationName.slice(0, MAX_NAME_LENGTH);
      }
    },
    onExecute({ args }) {
      const operation = describeOperation(args.document, args.operationName);
      // A valid document may still name its operation with a 1 MB name: keep logs small.
      if (operation?.name !== undefined) operation.name = operation.name.slice(0, MAX_NAME_LENGTH);
      requestRecord(args.contextValue.request).operation = operation;
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
