/**
 * Server-Sent Events reading for the streamed chat turn (docs/llamacloud-chat-api.md, "Chat turn
 * (streamed)"). The SSE grammar itself (fields, multi-line `data` joined by `\n`, comments,
 * `id:`/`retry:`, `\n`/`\r`/`\r\n` line ends, a BOM) is eventsource-parser's; this module adds
 * only the Chat API's rules on top: a message without data is no event, `data: [DONE]` ends the
 * stream, and the bytes are decoded as UTF-8 across chunk boundaries.
 */
import { createParser } from 'eventsource-parser';
import type { ParseError } from 'eventsource-parser';
import { UpstreamError } from './errors.js';

/** One SSE message that carries data. */
export interface SseMessage {
  /** The `event:` name; undefined when the message has none. */
  event: string | undefined;
  /** The `data:` lines joined by `\n`; never empty. */
  data: string;
  /** The `id:` field, when sent. */
  id: string | undefined;
}

export interface ReadSseHooks {
  /** A comment line (e.g. `: keep-alive`) arrived: the upstream is alive. */
  onComment?: (() => void) | undefined;
}

/**
 * Longest line or message the reader buffers (characters): an upstream that never ends a line
 * would otherwise grow memory without bound. Chat events are small; a tool result may be large.
 */
export const MAX_SSE_BUFFER_CHARS = 4 * 1024 * 1024;

/**
 * The data-bearing messages of an SSE body, in order, as they complete. Ends at `data: [DONE]`
 * (leaving the rest of the body unread: the caller's iteration stops, which destroys the body)
 * or at the end of the body; an unterminated last message is dropped, as the SSE standard says.
 * A line longer than MAX_SSE_BUFFER_CHARS fails with bad_response.
 */
export async function* readSse(
  chunks: AsyncIterable<Uint8Array | string>,
  hooks: ReadSseHooks = {},
  maxBufferChars = MAX_SSE_BUFFER_CHARS,
): AsyncGenerator<SseMessage, void, undefined> {
  const ready: SseMessage[] = [];
  let failure: ParseError | undefined;
  const parser = createParser({
    maxBufferSize: maxBufferChars,
    onEvent: ({ event, data, id }) => {
      if (data !== '') ready.push({ event, data, id });
    },
    onComment: () => hooks.onComment?.(),
    onError: (error) => {
      // Unknown fields and invalid `retry:` values are ignored, as the SSE standard says.
      if (error.type === 'max-buffer-size-exceeded') failure ??= error;
    },
  });
  // `stream: true` keeps a multi-byte character split across chunks for the next one.
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (failure) {
      throw new UpstreamError({
        kind: 'bad_response',
        reason: `event stream line longer than ${maxBufferChars} characters`,
      });
    }
    // Index, not shift(): a chunk may complete many messages.
    for (let i = 0; i < ready.length; i++) {
      const message = ready[i]!;
      if (message.data === '[DONE]') return;
      yield message;
    }
    ready.length = 0;
  }
}
