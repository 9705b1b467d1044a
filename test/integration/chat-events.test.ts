/**
 * ChatSession.events over real HTTP: every documented event type with its typed fields, the
 * unknown `citation` type the sandbox sends in some sessions, and when the upstream is called.
 * Expected answers are written out by hand: literally for a few sessions of the sandbox's data
 * set, and through `expected()` (a mapping of wire events written independently of src/).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import type { SandboxSession, WireEvent } from '../../src/sandbox/data.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack;
let all: SandboxSession[];

beforeAll(async () => {
  stack = await startStack();
  all = [...stack.sandbox.dataset.values()].flat();
});
afterAll(() => stack.close());
beforeEach(() => stack.resetRequests());

const EVENTS = `query Events($sessionId: ID!, $projectId: ID) {
  chatSession(sessionId: $sessionId, projectId: $projectId) {
    sessionId
    events {
      __typename
      type
      ... on UserInputChatEvent { content }
      ... on ThinkingDeltaChatEvent { content }
      ... on ThinkingChatEvent { content }
      ... on TextDeltaChatEvent { content }
      ... on TextChatEvent { content }
      ... on ToolCallChatEvent { callId name arguments }
      ... on ToolResultChatEvent {
        callId name result
        imageAttachment { attachmentName sourceId }
      }
      ... on StopChatEvent {
        error isError
        usage { durationMs totalInputTokens totalOutputTokens turns }
      }
      ... on UnknownChatEvent { data }
    }
  }
}`;

const CONTENT_TYPES: Record<string, string> = {
  user_input: 'UserInputChatEvent',
  thinking_delta: 'ThinkingDeltaChatEvent',
  thinking: 'ThinkingChatEvent',
  text_delta: 'TextDeltaChatEvent',
  text: 'TextChatEvent',
};

/** What the gateway must answer for one wire event, written out independently of src/. */
function expected(e: WireEvent): Record<string, unknown> {
  if (e.type in CONTENT_TYPES) {
    return { __typename: CONTENT_TYPES[e.type], type: e.type, content: e.content };
  }
  switch (e.type) {
    case 'tool_call':
      return {
        __typename: 'ToolCallChatEvent',
        type: e.type,
        callId: e.call_id,
        name: e.name,
        arguments: e.arguments,
      };
    case 'tool_result': {
      const image = e.image_attachment as { attachment_name: string; source_id: string } | null;
      return {
        __typename: 'ToolResultChatEvent',
        type: e.type,
        callId: e.call_id,
        name: e.name,
        result: e.result,
        imageAttachment: image && {
          attachmentName: image.attachment_name,
          sourceId: image.source_id,
        },
      };
    }
    case 'stop': {
      const usage = e.usage as Record<string, unknown>;
      return {
        __typename: 'StopChatEvent',
        type: e.type,
        error: e.error,
        isError: e.is_error,
        usage: {
          durationMs: usage.duration_ms,
          totalInputTokens: usage.total_input_tokens,
          totalOutputTokens: usage.total_output_tokens,
          turns: usage.turns,
        },
      };
    }
    default:
      return { __typename: 'UnknownChatEvent', type: e.type, data: e };
  }
}

function find(predicate: (s: SandboxSession) => boolean): SandboxSession {
  const session = all.find(predicate);
  if (!session) throw new Error('the sandbox data set has no such session');
  return session;
}

async function eventsOf(sessionId: string): Promise<Record<string, unknown>[]> {
  const res = await stack.graphql(EVENTS, { sessionId });
  expect(res.body.errors, res.text).toBeUndefined();
  expect(res.body.data!.chatSession.sessionId).toBe(sessionId);
  return res.body.data!.chatSession.events as Record<string, unknown>[];
}

/** Sessions of the sandbox's default data set (seed 42), written out by hand. */
const RICH = 'ses-000t9l6rbl'; // every documented type, an image attachment, a citation
const FAILED = 'ses-0009r72fgh'; // a failed run, no image attachment
const BIG = 'ses-0004vljchp'; // 3 000 000 004 input tokens
const HUGE = 'ses-000plw1g3i'; // Number.MAX_SAFE_INTEGER input tokens

describe('ChatSession.events', () => {
  it('answers every documented event type with its typed fields, and an unknown one as data', async () => {
    const title = 'مراجعة سياسة الخصوصية';
    expect(await eventsOf(RICH)).toEqual([
      { __typename: 'UserInputChatEvent', type: 'user_input', content: title },
      { __typename: 'ThinkingDeltaChatEvent', type: 'thinking_delta', content: 'Looking for ' },
      {
        __typename: 'ThinkingChatEvent',
        type: 'thinking',
        content: 'Looking for the relevant documents.',
      },
      {
        __typename: 'ToolCallChatEvent',
        type: 'tool_call',
        callId: 'call-000t9l6rbl',
        name: 'search_index',
        arguments: { query: title, top_k: 5 },
      },
      {
        __typename: 'ToolResultChatEvent',
        type: 'tool_result',
        callId: 'call-000t9l6rbl',
        name: 'search_index',
        result: { hits: [{ id: 'doc-1', score: 0.92 }], truncated: false },
        imageAttachment: { attachmentName: 'page-12.png', sourceId: 'src-24' },
      },
      { __typename: 'TextDeltaChatEvent', type: 'text_delta', content: 'The main ' },
      {
        __typename: 'TextChatEvent',
        type: 'text',
        content: 'The main findings are summarised below.',
      },
      {
        __typename: 'UnknownChatEvent',
        type: 'citation',
        data: { type: 'citation', source_id: 'src-24', page: 3 },
      },
      {
        __typename: 'StopChatEvent',
        type: 'stop',
        error: null,
        isError: false,
        usage: { durationMs: 8320.837, totalInputTokens: 8465, totalOutputTokens: 4052, turns: 9 },
      },
    ]);
    expect(stack.fullSessionCalls().map((r) => r.path)).toEqual([`/api/v1/chat/${RICH}`]);
  });

  it('answers a failed run with its error, and a tool result without an image as null', async () => {
    const events = await eventsOf(FAILED);
    expect(events.find((e) => e.type === 'tool_result')).toMatchObject({
      __typename: 'ToolResultChatEvent',
      imageAttachment: null,
    });
    expect(events.at(-1)).toEqual({
      __typename: 'StopChatEvent',
      type: 'stop',
      error: 'Tool call "search_index" timed out after 30s',
      isError: true,
      usage: { durationMs: 107946.957, totalInputTokens: 3879, totalOutputTokens: 5756, turns: 12 },
    });
  });

  it('answers token counts beyond 2^31 exactly', async () => {
    expect((await eventsOf(BIG)).at(-1)).toMatchObject({
      __typename: 'StopChatEvent',
      usage: { totalInputTokens: 3_000_000_004, totalOutputTokens: 411 },
    });
    expect((await eventsOf(HUGE)).at(-1)).toMatchObject({
      usage: { totalInputTokens: 9_007_199_254_740_991, totalOutputTokens: 3852 },
    });
  });

  it('maps every session of a project as the wire events say (mapped by hand above)', async () => {
    const project = SANDBOX_PROJECTS[2]!;
    const sessions = stack.sandbox.dataset.get(project.id)!;
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) {
      expect(await eventsOf(session.summary.session_id)).toEqual(session.events.map(expected));
    }
  });

  it('returns an unknown event type as UnknownChatEvent with its raw data, without an error', async () => {
    const res = await stack.graphql(
      `query($id: ID!) { chatSession(sessionId: $id) { events { __typename type ... on UnknownChatEvent { data } } } }`,
      { id: RICH },
    );
    expect(res.body.errors).toBeUndefined();
    const unknown = (res.body.data!.chatSession.events as { __typename: string }[]).filter(
      (e) => e.__typename === 'UnknownChatEvent',
    );
    expect(unknown).toEqual([
      {
        __typename: 'UnknownChatEvent',
        type: 'citation',
        data: { type: 'citation', source_id: 'src-24', page: 3 },
      },
    ]);
  });

  it('is an empty list for a session that never ran', async () => {
    const session = find((s) => s.summary.job_metadata === null);
    const res = await stack.graphql(EVENTS, { sessionId: session.summary.session_id });
    expect(res.body).toEqual({
      data: { chatSession: { sessionId: session.summary.session_id, events: [] } },
    });
  });

  it('calls the full-session endpoint only when events are selected', async () => {
    const session = all[0]!;
    await stack.graphql(`query($id: ID!) { chatSession(sessionId: $id) { sessionId } }`, {
      id: session.summary.session_id,
    });
    expect(stack.summaryCalls()).toHaveLength(1);
    expect(stack.fullSessionCalls()).toHaveLength(0);
  });

  it('fetches events in the scope the session was listed in', async () => {
    const project = SANDBOX_PROJECTS[2]!;
    const res = await stack.graphql(
      `query($projectId: ID!) { chatSessions(first: 3, projectId: $projectId) { edges { node { sessionId events { type } } } } }`,
      { projectId: project.id },
    );
    expect(res.body.errors).toBeUndefined();
    expect(stack.listCalls()).toHaveLength(1);
    expect(stack.summaryCalls()).toHaveLength(0);
    const calls = stack.fullSessionCalls();
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(call.query).toEqual({ project_id: project.id });
  });
});
