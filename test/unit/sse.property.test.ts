/**
 * Property: however the upstream's bytes are cut into chunks (single bytes, `\r\n` split in
 * two, a multi-byte UTF-8 character split), readSse yields every data message exactly once, in
 * order, intact, and nothing after `data: [DONE]`; comments, `retry:` and unknown fields never
 * become events.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSse } from '../../src/upstream/sse.js';
import type { SseMessage } from '../../src/upstream/sse.js';
import { UpstreamError } from '../../src/upstream/errors.js';

interface Message {
  event: string | undefined;
  id: string | undefined;
  /** The data's lines; joined by `\n` when read. */
  lines: string[];
}

/** One line's text: any well-formed Unicode (emoji, CJK, combining marks) except line breaks. */
const lineText = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .map((s) => s.replace(/[\r\n]/g, ''));

const message: fc.Arbitrary<Message> = fc
  .record({
    event: fc.option(fc.stringMatching(/^[a-z_]{1,10}$/), { nil: undefined }),
    id: fc.option(fc.stringMatching(/^[a-z0-9-]{1,8}$/), { nil: undefined }),
    lines: fc.array(lineText, { minLength: 1, maxLength: 4 }),
  })
  .filter((m) => {
    const data = m.lines.join('\n');
    return data !== '' && data !== '[DONE]';
  });

/** What may sit between two messages. */
const filler = fc.constantFrom(
  '',
  ': keep-alive',
  ':',
  'retry: 3000',
  'retry: soon',
  'unknown: field',
);

const eol = fc.constantFrom('\n', '\r\n');

/** The wire text of a stream: messages with filler and mixed line ends, then [DONE] and junk. */
const stream = fc.array(fc.tuple(message, filler, eol, eol), { maxLength: 8 }).map((parts) => {
  let text = '';
  for (const [m, fill, nl, blank] of parts) {
    if (fill) text += `${fill}${nl}${blank}`;
    if (m.event !== undefined) text += `event: ${m.event}${nl}`;
    if (m.id !== undefined) text += `id: ${m.id}${nl}`;
    for (const line of m.lines) text += `data: ${line}${nl}`;
    text += blank;
  }
  text += 'data: [DONE]\r\n\r\ndata: {"after":"done"}\n\n';
  return { text, messages: parts.map(([m]) => m) };
});

/** The bytes cut at the given offsets (sorted, deduplicated, within range). */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return chunks;
}

async function* source(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    yield chunk;
    // Let the reader run between chunks, as on a socket.
    await Promise.resolve();
  }
}

async function readAll(chunks: Uint8Array[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of readSse(source(chunks))) out.push(m);
  return out;
}

const expected = (messages: Message[]): SseMessage[] =>
  messages.map((m) => ({ event: m.event, id: m.id, data: m.lines.join('\n') }));

describe('readSse', () => {
  it('yields every message once, in order, intact, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        stream,
        fc.array(fc.nat(), { maxLength: 40 }),
        async ({ text, messages }, offsets) => {
          const bytes = new TextEncoder().encode(text);
          expect(await readAll(cut(bytes, offsets))).toEqual(expected(messages));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does the same one byte at a time', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async ({ text, messages }) => {
        const bytes = new TextEncoder().encode(text);
        const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
        expect(await readAll(single)).toEqual(expected(messages));
      }),
      { numRuns: 100 },
    );
  });

  it('survives every single cut of a CRLF, multi-byte stream', async () => {
    const text =
      'event: text\r\nid: 1\r\ndata: {"content":"Grüße 🎉"}\r\n\r\n: ping\r\n\r\ndata: 答\r\ndata: 案\n\ndata: [DONE]\r\n\r\n';
    const bytes = new TextEncoder().encode(text);
    for (let i = 0; i <= bytes.length; i++) {
      expect(await readAll(cut(bytes, [i]))).toEqual([
        { event: 'text', id: '1', data: '{"content":"Grüße 🎉"}' },
        { event: undefined, id: undefined, data: '答\n案' },
      ]);
    }
  });

  it('drops an unterminated last message and calls onComment for comments', async () => {
    const comments: number[] = [];
    const out: SseMessage[] = [];
    const bytes = new TextEncoder().encode(': a\n\ndata: x\n\n:b\ndata: half');
    for await (const m of readSse(source([bytes]), { onComment: () => comments.push(1) })) {
      out.push(m);
    }
    expect(out).toEqual([{ event: undefined, id: undefined, data: 'x' }]);
    expect(comments).toHaveLength(2);
  });

  it('refuses a line longer than its buffer', async () => {
    const bytes = new TextEncoder().encode(`data: ${'x'.repeat(100)}`);
    await expect(
      (async () => {
        for await (const _ of readSse(source([bytes, bytes]), {}, 64)) void _;
      })(),
    ).rejects.toBeInstanceOf(UpstreamError);
  });
});
