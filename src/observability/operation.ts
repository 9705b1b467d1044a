/**
 * What the logging and metrics plugins need to know about one GraphQL operation, computed the
 * same way for both: its name and type, and the `extensions.code` of each error in its result.
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

/** Codes of the errors in one result or a batch; streamed results (subscriptions) give none. */
export function errorCodesOf(result: unknown): string[] {
  const results = Array.isArray(result) ? result : [result];
  const codes: string[] = [];
  for (const item of results) {
    const errors = (item as ExecutionResult | undefined)?.errors;
    if (!Array.isArray(errors)) continue;
    for (const error of errors) {
      const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
      codes.push(typeof code === 'string' && code !== '' ? code : NO_CODE);
    }
  }
  return codes;
}
