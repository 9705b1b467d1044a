/**
 * MAX_RESPONSE_BYTES: a result whose JSON text would be larger is replaced by one
 * RESPONSE_TOO_LARGE error before it is serialised. The size is estimated by walking the result
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

export function useResponseSizeLimit({ maxBytes }: ResponseSizeLimitOptions): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          const { data, errors } = result as ExecutionResult;
          // Errors are few and small (a message, a path, a code): a flat allowance each.
          const errorBytes = (errors?.length ?? 0) * ERROR_ALLOWANCE_BYTES;
          if (estimateJsonBytes(data, maxBytes - errorBytes) + errorBytes <= maxBytes) return;
          setResult({
            data: null,
            errors: [
              gatewayError(
                ErrorCode.RESPONSE_TOO_LARGE,
                `The response would be larger than ${maxBytes} bytes (MAX_RESPONSE_BYTES); ask for fewer items or fields.`,
                { maxBytes },
              ),
            ],
          });
        },
      };
    },
  };
}
