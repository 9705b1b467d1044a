/**
 * The sandbox's chat turns: a deterministic scripted answer per turn, and the Server-Sent Events
 * framing it is streamed in. The framing deliberately uses everything the upstream contract
 * allows (docs/llamacloud-chat-api.md, "Chat turn (streamed)"), so clients built against the
 * sandbox cope with the real API: named events without a JSON `type`, multi-line `data`,
 * `: keep-alive` comments, `id:` and `retry:` fields, `\r\n` line ends, messages split across
 * writes, and a final `data: [DONE]`.
 */
import type { WireEvent } from './data.js';

export interface TurnScript {
  sessionId: string;
  /** 1-based number of this turn in its session. */
  turn: number;
  prompt: string;
  indexIds: readonly string[];
  /** The requested indexes the sandbox cannot use (unknown to it). */
  skippedIndexIds: readonly string[];
  requireAllIndexes: boolean;
}

/** Prompts containing this word get the scripted failing turn. */
export const FAILING_PROMPT_WORD = 'fail';

/** Deterministic 32-bit hash (FNV-1a) for per-turn variety. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The answer events of one turn (not its `user_input`), ending with `stop`. A prompt containing
 * "fail" (any case), or `requireAllIndexes` with an unknown index, gets a failed turn: a stop
 * event with `is_error: true` and an error message, after a tool call that went wrong.
 */
export function scriptTurn(t: TurnScript): WireEvent[] {
  const callId = `call-${t.sessionId}-${t.turn}`;
  const query = t.prompt.slice(0, 100);
  const h = hash(`${t.sessionId}:${t.turn}:${t.prompt}`);
  const durationMs = 800 + (h % 4000) + (h % 1000) / 1000;
  const inputTokens = 120 + t.prompt.length * 2 + (h % 300);
  const usage = (outputTokens: number) => ({
    duration_ms: durationMs,
    total_input_tokens: inputTokens,
    total_output_tokens: outputTokens,
    turns: t.turn,
  });
  const thinking = [
    { type: 'thinking_delta', content: 'Reading the question, ' },
    { type: 'thinking_delta', content: 'then searching the indexes.' },
    { type: 'thinking', content: 'Reading the question, then searching the indexes.' },
    {
      type: 'tool_call',
      call_id: callId,
      name: 'search_index',
      arguments: { query, index_ids: [...t.indexIds], top_k: 3 },
    },
  ];

  const missing = t.requireAllIndexes && t.skippedIndexIds.length > 0;
  if (missing || t.prompt.toLowerCase().includes(FAILING_PROMPT_WORD)) {
    const error = missing
      ? `Indexes unavailable: ${t.skippedIndexIds.join(', ')}`
      : 'Tool call "search_index" failed: the index is temporarily unavailable';
    return [
      ...thinking,
      {
        type: 'tool_result',
        call_id: callId,
        name: 'search_index',
        result: { error },
        image_attachment: null,
      },
      {
        type: 'stop',
        error,
        is_error: true,
        usage: usage(0),
        skipped_index_ids: [...t.skippedIndexIds],
      },
    ];
  }

  const hits = 1 + (h % 3);
  const pieces = [
    'Here is what I found',
    ` in ${hits} document${hits === 1 ? '' : 's'}: `,
    `the answer to “${query.length > 40 ? `${query.slice(0, 40)}…` : query}” `,
    'is in the indexed sources.',
  ];
  const text = pieces.join('');
  return [
    ...thinking,
    {
      type: 'tool_result',
      call_id: callId,
      name: 'search_index',
      result: {
        hits: Array.from({ length: hits }, (_, i) => ({
          id: `doc-${(h >>> (i * 4)) % 97}`,
          score: Math.round((0.95 - i * 0.1) * 100) / 100,
        })),
        truncated: false,
      },
      image_attachment:
        t.turn % 2 === 0 ? { attachment_name: 'page-3.png', source_id: `src-${h % 1000}` } : null,
    },
    ...pieces.map((content) => ({ type: 'text_delta', content })),
    { type: 'text', content: text },
    {
      type: 'stop',
      error: null,
      is_error: false,
      usage: usage(20 + text.length),
      skipped_index_ids: [...t.skippedIndexIds],
    },
  ];
}

/**
 * The SSE chunks of one event (the `index`-th of its turn), each written as one piece. Framing
 * cycles through the forms the contract allows; every form carries the same JSON event.
 */
export function frameEvent(event: WireEvent, index: number, turn: number): string[] {
  const id = `id: ${turn}-${index}`;
  switch (index % 4) {
    case 1: {
      // A named event whose JSON has no `type`: the type comes from the SSE event name.
      const { type, ...rest } = event;
      return [`event: ${type}\n${id}\ndata: ${JSON.stringify(rest)}\n\n`];
    }
    case 2: {
      // Multi-line data: JSON spread over several `data:` lines, joined by `\n` when read.
      const lines = JSON.stringify(event, null, 1).split('\n');
      return [`${id}\n${lines.map((line) => `data: ${line}`).join('\n')}\n\n`];
    }
    case 3: {
      // CRLF line ends, the message split across two writes (after its ASCII-only prefix).
      const head = `${id}\r\nevent: ${event.type}\r\n`;
      return [head, `data: ${JSON.stringify(event)}\r\n\r\n`];
    }
    default:
      return [`${id}\ndata: ${JSON.stringify(event)}\n\n`];
  }
}

/** What starts every stream: a reconnection hint (ignored by clients) and a comment. */
export const STREAM_PREAMBLE = 'retry: 3000\n: sandbox chat turn\n\n';
export const KEEP_ALIVE = ': keep-alive\n\n';
export const STREAM_END = 'data: [DONE]\n\n';
