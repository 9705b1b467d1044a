/**
 * What the logging and metrics plugins need to know about one GraphQL operation, computed the
 * same way for both: its name and type, and how many errors of each `extensions.code` its result
 * holds.
 */
import { getOperationAST } from 'graphql';
import type { DocumentNode } from 'graphql';
import type { ExecutionResult } from 'graphql';

export interface OperationInfo {
  /** The operation's name in the document; undefined for an anonymous operation. */
  name: string | undefined;
  type: 'query' | 'mutation' | 'subscription';
}

export function describeOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationInfo | undefined {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return undefined;
  return { name: operation.name?.value, type: operation.operation };
}

/** Errors without a code (should not happen: docs/architecture.md gives every error one) count as this. */
export const NO_CODE = 'NO_CODE';
/** Codes that do not look like the gateway's (or that come after MAX_ERROR_CODES others) count as this. */
export const OTHER_CODE = 'OTHER';
/** Distinct codes kept for one request, so what is logged and counted stays small. */
export const MAX_ERROR_CODES = 20;

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,49}$/;

/** How many errors of each `extensions.code` a result holds. */
export type ErrorCodeCounts = ReadonlyMap<string, number>;

/**
 * Errors per code in one result or a batch; streamed results (subscriptions) give none. One pass
 * over the errors, and at most MAX_ERROR_CODES + 1 distinct codes however many errors there are.
 */
export function errorCodesOf(result: unknown): ErrorCodeCounts {
  const results = Array.isArray(result) ? result : [result];
  const counts = new Map<string, number>();
  for (const item of results) {
    const errors = (item as ExecutionResult | undefined)?.errors;
    if (!Array.isArray(errors)) continue;
    for (const error of errors) {
      const raw = (error as { extensions?: { code?: unknown } }).extensions?.code;
      let code = typeof raw === 'string' && raw !== '' ? raw : NO_CODE;
      if (!ERROR_CODE.test(code)) code = OTHER_CODE;
      const key = counts.has(code) || counts.size < MAX_ERROR_CODES ? code : OTHER_CODE;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}
