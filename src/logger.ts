/**
 * The process logger: pino, one JSON object per line on stdout, level from LOG_LEVEL.
 *
 * Nothing the gateway logs carries a credential by construction (no headers, no config object);
 * the redact paths below are a second line of defence should someone log a header bag later.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { YogaLogger } from 'graphql-yoga';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'authorization',
  'apiKey',
  'credential',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.authorization',
  '*.apiKey',
  '*.credential',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      // `"level":"info"` rather than `"level":30`: readable and what log pipelines expect.
      level: (label: string) => ({ level: label }),
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Yoga's own messages (debug traces, unexpected errors it masks) routed to pino as
 * `component: "yoga"`. Yoga calls these like console methods.
 */
export function yogaLogger(
  logger: Logger,
  options: { isExpected?: (error: Error) => boolean } = {},
): YogaLogger {
  const child = logger.child({ component: 'yoga' });
  const forward =
    (wanted: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      const error = args.find((arg): arg is Error => arg instanceof Error);
      // Yoga logs every error it masks at error level, the coded answers of the error boundary
      // too (NOT_FOUND, UPSTREAM_UNAVAILABLE…): those are outcomes, not faults of the gateway,
      // and one request may carry hundreds of them.
      const level = error && options.isExpected?.(error) ? 'debug' : wanted;
      if (!child.isLevelEnabled(level)) return;
      const text = args
        .filter((arg) => arg !== error)
        .map((arg) => (typeof arg === 'string' ? arg : safeJson(arg)))
        .join(' ');
      if (error) child[level]({ err: error }, text || error.message);
      else child[level](text);
    };
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
