/**
 * ChatSession.events over real HTTP: every documented event type with its typed fields, the
 * unknown `citation` type the sandbox sends in some sessions, and when the upstream is called.
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

const hasEvent = (s: SandboxSession, test: (e: WireEvent) => boolean) => s.events.some(test);

describe('ChatSession.events', () => {
  it.each([
    [
      'all eight documented types, an image attachment and an unknown type',
      (s: SandboxSession) =>
        hasEvent(s, (e) => e.type === 'citation') &&
        hasEvent(s, (e) => e.type === 'tool_result' && e.image_attachment !== null),
    ],
    [
      'a failed run and no image attachment',
      (s: SandboxSession) =>
        hasEvent(s, (e) => e.type === 'stop' && e.is_error === true) &&
        hasEvent(s, (e) => e.type === 'tool_result' && e.image_attachment === null),
    ],
    [
      'token counts beyond 2^31',
      (s: SandboxSession) => (s.summary.job_metadata?.total_input_tokens ?? 0) > 2 ** 31,
    ],
  ])('maps a session with %s', async (_name, predicate) => {
    const session = find(predicate);
    const res = await stack.graphql(EVENTS, { sessionId: session.summary.session_id });
    expect(res.body.errors).toBeUndefined();
    const events = res.body.data!.chatSession.events as Record<string, unknown>[];
    expect(events).toEqual(session.events.map(expected));
    expect(stack.fullSessionCalls().map((r) => r.path)).toEqual([
      `/api/v1/chat/${session.summary.session_id}`,
    ]);
  });

  it('covers every documented event type across the tests above', () => {
    const session = find(
      (s) =>
        hasEvent(s, (e) => e.type === 'citation') &&
        hasEvent(s, (e) => e.type === 'tool_result' && e.image_attachment !== null),
    );
    expect(new Set(session.events.map((e) => e.type))).toEqual(
      new Set([...Object.keys(CONTENT_TYPES), 'tool_call', 'tool_result', 'stop', 'citation']),
    );
  });

  it('returns an unknown event type as UnknownChatEvent with its raw data, without an error', async () => {
    const session = find((s) => hasEvent(s, (e) => e.type === 'citation'));
    const res = await stack.graphql(
      `query($id: ID!) { chatSession(sessionId: $id) { events { __typename type ... on UnknownChatEvent { data } } } }`,
      { id: session.summary.session_id },
    );
    expect(res.body.errors).toBeUndefined();
    const unknown = (res.body.data!.chatSession.events as { __typename: string }[]).filter(
      (e) => e.__typename === 'UnknownChatEvent',
    );
    expect(unknown).toEqual([
      {
        __typename: 'UnknownChatEvent',
        type: 'citation',
        data: session.events.find((e) => e.type === 'citation'),
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
