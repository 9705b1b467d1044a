/**
 * MAX_RESPONSE_BYTES: a result (or one payload of a stream) whose JSON text would be larger is
 * replaced by one RESPONSE_TOO_LARGE error before it is serialised. The size is estimated by walking the result
 * and stops as soon as it passes the limit, so refusing a huge answer costs no more than the
 * limit's worth of work, and never builds the text.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, gatewayError } from '../errors.js';

const ERROR_ALLOWANCE_BYTES = 300;

export interface ResponseSizeLimitOptions {
  maxBytes: number;
}

/**
 * Bytes of `JSON.stringify(value)`, give or take escapes and multi-byte characters (strings are
 * counted in UTF-16 units), or `Infinity` once past `limit`.
 */
export function estimateJsonBytes(value: unknown, limit: number): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') bytes += item.length + 2;
    else if (typeof item === 'number') bytes += 8;
    else if (item === null || typeof item !== 'object') bytes += 5;
    else if (Array.isArray(item)) {
      bytes += 2 + item.length;
      for (const element of item) stack.push(element);
    } else {
      bytes += 2;
      for (const key in item) {
        bytes += key.length + 4;
        stack.push((item as Record<string, unknown>)[key]);
      }
    }
    if (bytes > limit) return Infinity;
  }
  return bytes;
}

/** A later part of a @defer/@stream response. */
interface IncrementalPart {
  path: ReadonlyArray<string | number>;
  items?: unknown[];
}

/** The payload as it is, or the same payload carrying RESPONSE_TOO_LARGE when over the limit. */
function limited<R extends ExecutionResult>(result: R, maxBytes: number): R | ExecutionResult {
  // Errors are few and small (a message, a path, a code): a flat allowance each.
  const errorBytes = (result.errors?.length ?? 0) * ERROR_ALLOWANCE_BYTES;
  // Later payloads of an incremental response carry their data in `incremental`.
  const incremental = (result as { incremental?: IncrementalPart[] }).incremental;
  const body = incremental ?? result.data;
  if (estimateJsonBytes(body, maxBytes - errorBytes) + errorBytes <= maxBytes) return result;
  const error = gatewayError(
    ErrorCode.RESPONSE_TOO_LARGE,
    `The response would be larger than ${maxBytes} bytes (MAX_RESPONSE_BYTES); ask for fewer items or fields.`,
    { maxBytes },
  );
  if (!incremental) return { data: null, errors: [error] };
  // Each part keeps its path and carries the error instead of its data, so the client's
  // incremental merge stays well-formed.
  return {
    ...result,
    incremental: incremental.map(({ path, items }) =>
      items ? { path, items: [], errors: [error] } : { path, data: null, errors: [error] },
    ),
  };
}

/**
 * Every payload is bounded: a single result, each part of an incremental (@defer/@stream)
 * response, and each event of a subscription.
 */
export function useResponseSizeLimit({ maxBytes }: ResponseSizeLimitOptions): Plugin {
  const check = ({
    result,
    setResult,
  }: {
    result: ExecutionResult;
    setResult: (result: ExecutionResult) => void;
  }) => {
    const bounded = limited(result, maxBytes);
    if (bounded !== result) setResult(bounded);
  };
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return { onNext: check };
          check({ result: result as ExecutionResult, setResult });
          return undefined;
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (Symbol.asyncIterator in result) return { onNext: check };
          check({ result: result as ExecutionResult, setResult });
          return undefined;
        },
      };
    },
  };
}
