/**
 * A second, independently written Chat API upstream for the write half, so the gateway is proven
 * against two servers rather than one's quirks. It shares no code with src/sandbox and makes other
 * choices the contract allows (docs/llamacloud-chat-api.md):
 *
 * - create answers 200 (not 201) and omits `shared_access` (an older API version);
 * - delete answers 200 with an empty body (not 204);
 * - the turn stream uses `\r\n` everywhere, an `event:` name on every message *and* a JSON
 *   `type`, pretty-printed JSON over several `data:` lines, `:ping` comments without a space,
 *   an unknown event type (`citation`), no `skipped_index_ids`, no `[DONE]` (the response just
 *   ends after `stop`), and bytes written in small fixed-size pieces that cut through lines,
 *   `\r\n` pairs and multi-byte characters.
 *
 * State lives in one Map for the server's life (tests create a handful of sessions).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ScriptedChatUpstreamOptions {
  /** Pause between two events of a turn (default 25 ms). */
  eventGapMs?: number;
  /** Size of the pieces the stream's bytes are written in (default 7). */
  pieceBytes?: number;
}

export interface ScriptedChatUpstream {
  url: string;
  /** Method and path of every request, oldest first. */
  requests: Array<{ method: string; path: string; body: unknown }>;
  close(): Promise<void>;
}

interface Session {
  session_id: string;
  last_updated_at: string;
  generated_title: string | null;
  index_ids: string[] | null;
  job_metadata: Record<string, unknown> | null;
  events: Array<Record<string, unknown>>;
}

/** The events this upstream streams for `prompt` (its answer script), `stop` last. */
export function scriptedAnswer(prompt: string, turn: number): Array<Record<string, unknown>> {
  return [
    { type: 'thinking_delta', content: 'Hmm… ' },
    { type: 'thinking', content: 'Hmm… let me check.' },
    { type: 'tool_call', call_id: `c${turn}`, name: 'lookup', arguments: { q: prompt } },
    { type: 'tool_result', call_id: `c${turn}`, name: 'lookup', result: ['r1', 'r2'] },
    { type: 'citation', source: 'manual.pdf', page: 7 },
    { type: 'text_delta', content: 'Grüße — ' },
    { type: 'text_delta', content: '答案是 42 🎉' },
    { type: 'text', content: 'Grüße — 答案是 42 🎉' },
    {
      type: 'stop',
      error: null,
      is_error: false,
      usage: { duration_ms: 12.5, total_input_tokens: 10, total_output_tokens: 20, turns: turn },
    },
  ];
}

const now = () => new Date().toISOString().replace('Z', '');

export async function startScriptedChatUpstream(
  options: ScriptedChatUpstreamOptions = {},
): Promise<ScriptedChatUpstream> {
  const gap = options.eventGapMs ?? 25;
  const piece = options.pieceBytes ?? 7;
  const sessions = new Map<string, Session>();
  const requests: ScriptedChatUpstream['requests'] = [];
  let serial = 0;

  const json = (res: ServerResponse, status: number, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  };
  const summary = ({ events: _events, ...rest }: Session) => rest;

  async function readBody(req: IncomingMessage): Promise<unknown> {
    let text = '';
    for await (const chunk of req as AsyncIterable<Buffer>) text += chunk.toString('utf8');
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  async function stream(res: ServerResponse, session: Session, prompt: string) {
    const turn = session.events.filter((e) => e.type === 'user_input').length + 1;
    session.events.push({ type: 'user_input', content: prompt });
    session.generated_title ??= prompt.slice(0, 50);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    const write = async (text: string) => {
      const bytes = Buffer.from(text, 'utf8');
      for (let i = 0; i < bytes.length; i += piece) {
        if (res.destroyed) return;
        res.write(bytes.subarray(i, i + piece));
      }
    };
    for (const event of scriptedAnswer(prompt, turn)) {
      await sleep(gap);
      if (res.destroyed) return;
      session.events.push(event);
      session.last_updated_at = now();
      const data = JSON.stringify(event, null, 2)
        .split('\n')
        .map((line) => `data:${line}`) // no space after the colon: allowed, and kept as is
        .join('\r\n');
      await write(`:ping\r\nevent: ${String(event.type)}\r\n${data}\r\n\r\n`);
    }
    session.job_metadata = {
      duration_ms: 12.5,
      error: null,
      is_error: false,
      total_input_tokens: 10,
      total_output_tokens: 20,
      turns: turn,
    };
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    requests.push({ method, path: url.pathname, body });
    if (url.pathname === '/api/v1/chat') {
      if (method === 'POST') {
        const b = (body ?? {}) as { index_ids?: string[] | null };
        const session: Session = {
          session_id: `chat_${(++serial).toString(16)}`,
          last_updated_at: now(),
          generated_title: null,
          index_ids: b.index_ids ?? null,
          job_metadata: null,
          events: [],
        };
        sessions.set(session.session_id, session);
        return json(res, 200, summary(session));
      }
      const items = [...sessions.values()].reverse().map(summary);
      return json(res, 200, { items, next_page_token: '' });
    }
    const match = /^\/api\/v1\/chat\/([^/]+)(\/summary|\/messages\/stream)?$/.exec(url.pathname);
    const session = match ? sessions.get(decodeURIComponent(match[1]!)) : undefined;
    if (!match || !session) return json(res, 404, { detail: 'Chat session not found' });
    if (match[2] === '/messages/stream' && method === 'POST') {
      const prompt = (body as { prompt?: unknown } | undefined)?.prompt;
      if (typeof prompt !== 'string' || prompt.length > 1000) {
        return json(res, 422, { detail: [{ loc: ['body', 'prompt'], msg: 'bad prompt' }] });
      }
      return stream(res, session, prompt);
    }
    if (match[2] === '/summary') return json(res, 200, summary(session));
    if (method === 'DELETE') {
      sessions.delete(session.session_id);
      res.writeHead(200).end();
      return;
    }
    return json(res, 200, session);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
