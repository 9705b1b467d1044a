/**
 * Single-session lookups over real HTTP (client -> gateway -> sandbox): Query.chatSession and
 * the Relay node/nodes fields, including missing and malformed ids. (A lookup rejected upstream:
 * resilience-errors.test.ts; lookups against the call budget: resilience-budget.test.ts.)
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import type { SandboxSession } from '../../src/sandbox/data.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack;
let research: SandboxSession[];
let support: SandboxSession[];
const RESEARCH = SANDBOX_PROJECTS[0]!.id;
const SUPPORT = SANDBOX_PROJECTS[1]!.id;

beforeAll(async () => {
  stack = await startStack();
  research = stack.sandbox.dataset.get(RESEARCH)!;
  support = stack.sandbox.dataset.get(SUPPORT)!;
});
afterAll(() => stack.close());
beforeEach(() => stack.resetRequests());

const SESSION_FIELDS = `id sessionId generatedTitle lastUpdatedAt indexIds
  jobMetadata { isError turns totalInputTokens }`;

const LOOKUP = `query Lookup($sessionId: ID!, $projectId: ID, $organizationId: ID) {
  chatSession(sessionId: $sessionId, projectId: $projectId, organizationId: $organizationId) {
    ${SESSION_FIELDS}
  }
}`;

const gid = (sessionId: string) => encodeGlobalID('ChatSession', sessionId);

describe('Query.chatSession', () => {
  it('returns the summary of an existing session with one upstream call', async () => {
    const s = research[3]!;
    const res = await stack.graphql(LOOKUP, { sessionId: s.summary.session_id });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.chatSession).toEqual({
      id: gid(s.summary.session_id),
      sessionId: s.summary.session_id,
      generatedTitle: s.summary.generated_title,
      lastUpdatedAt: `${s.summary.last_updated_at}Z`,
      indexIds: s.summary.index_ids,
      jobMetadata: s.summary.job_metadata && {
        isError: s.summary.job_metadata.is_error,
        turns: s.summary.job_metadata.turns,
        totalInputTokens: s.summary.job_metadata.total_input_tokens,
      },
    });
    expect(stack.summaryCalls().map((r) => r.path)).toEqual([
      `/api/v1/chat/${s.summary.session_id}/summary`,
    ]);
    expect(stack.fullSessionCalls()).toHaveLength(0);
  });

  it('is null, not an error, when the upstream answers 404', async () => {
    const res = await stack.graphql(LOOKUP, { sessionId: 'ses-does-not-exist' });
    expect(res.body).toEqual({ data: { chatSession: null } });
    expect(stack.summaryCalls()).toHaveLength(1);
  });

  it('passes projectId/organizationId upstream, and is null for a session of another project', async () => {
    const s = support[0]!;
    const inProject = await stack.graphql(LOOKUP, {
      sessionId: s.summary.session_id,
      projectId: SUPPORT.toUpperCase(),
      organizationId: SANDBOX_PROJECTS[1]!.organizationId,
    });
    expect(inProject.body.data!.chatSession.sessionId).toBe(s.summary.session_id);
    const elsewhere = await stack.graphql(LOOKUP, {
      sessionId: s.summary.session_id,
      projectId: RESEARCH,
    });
    expect(elsewhere.body).toEqual({ data: { chatSession: null } });
    expect(stack.summaryCalls().map((r) => r.query)).toEqual([
      { project_id: SUPPORT, organization_id: SANDBOX_PROJECTS[1]!.organizationId },
      { project_id: RESEARCH },
    ]);
  });

  it('puts the session id into the path as one encoded segment', async () => {
    const sessionId = 'ses/../x?page_size=1#frag %zz';
    const res = await stack.graphql(LOOKUP, { sessionId });
    expect(res.body).toEqual({ data: { chatSession: null } });
    const [call] = stack.summaryCalls();
    expect(call?.path).toBe(`/api/v1/chat/${encodeURIComponent(sessionId)}/summary`);
    expect(call?.query).toEqual({});
  });

  it.each([
    ['an empty id', { sessionId: '' }],
    ['a dot-segment id', { sessionId: '..' }],
    ['a too long id', { sessionId: 'x'.repeat(1025) }],
    ['a non-UUID projectId', { sessionId: 'ses-1', projectId: 'project-1' }],
  ])('rejects %s as BAD_USER_INPUT without calling the upstream', async (_name, variables) => {
    const res = await stack.graphql(LOOKUP, variables);
    expect(res.body.data).toEqual({ chatSession: null });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('Relay Node', () => {
  it('gives each session a global id that node() resolves to the same session', async () => {
    const list = await stack.graphql(
      `{ chatSessions(first: 3) { edges { node { id sessionId } } } }`,
    );
    const nodes = list.body.data!.chatSessions.edges.map((e: { node: unknown }) => e.node);
    expect(nodes.map((n: { sessionId: string }) => n.sessionId)).toEqual(
      research.slice(0, 3).map((s) => s.summary.session_id),
    );
    stack.resetRequests();

    const res = await stack.graphql(
      `query($id: ID!) { node(id: $id) { __typename id ... on ChatSession { sessionId generatedTitle } } }`,
      { id: nodes[1].id },
    );
    expect(res.body).toEqual({
      data: {
        node: {
          __typename: 'ChatSession',
          id: nodes[1].id,
          sessionId: research[1]!.summary.session_id,
          generatedTitle: research[1]!.summary.generated_title,
        },
      },
    });
    expect(stack.summaryCalls()).toHaveLength(1);
  });

  it('node() is null for a well-formed id of a missing session', async () => {
    const res = await stack.graphql(`query($id: ID!) { node(id: $id) { id } }`, {
      id: gid('ses-missing'),
    });
    expect(res.body).toEqual({ data: { node: null } });
  });

  it('nodes() keeps the order of the ids, with null for missing ones', async () => {
    const [a, b] = [research[0]!.summary.session_id, support[5]!.summary.session_id];
    const res = await stack.graphql(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on ChatSession { sessionId } } }`,
      { ids: [gid(b), gid('ses-missing'), gid(a), gid(b)] },
    );
    expect(res.body).toEqual({
      data: {
        nodes: [
          { id: gid(b), sessionId: b },
          null,
          { id: gid(a), sessionId: a },
          { id: gid(b), sessionId: b },
        ],
      },
    });
    // The repeated id is loaded once.
    expect(stack.summaryCalls()).toHaveLength(3);
  });

  it.each([
    ['not base64', 'not a global id!'],
    ['base64 without a type', Buffer.from('just-text').toString('base64')],
    ['an unknown type', encodeGlobalID('Widget', '1')],
    ['a type that is not a Node', encodeGlobalID('ChatJobMetadata', '1')],
    ['a dot-segment session id', encodeGlobalID('ChatSession', '..')],
  ])('node() with %s is BAD_USER_INPUT, unmasked, with no upstream call', async (_name, id) => {
    const res = await stack.graphql(`query($id: ID!) { node(id: $id) { id } }`, { id });
    expect(res.body.data).toEqual({ node: null });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0]!.message).not.toMatch(/unexpected error/i);
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('nodes() with any malformed id fails as a whole with BAD_USER_INPUT and no upstream call', async () => {
    const res = await stack.graphql(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id } other: chatSession(sessionId: "ses-missing") { id } }`,
      { ids: [gid(research[0]!.summary.session_id), 'garbage', gid('ses-missing')] },
    );
    expect(res.body.data).toEqual({ nodes: null, other: null });
    expect(res.body.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['nodes'], 'BAD_USER_INPUT'],
    ]);
    // Only the sibling root field reached the upstream.
    expect(stack.sandbox.requests.map((r) => r.path)).toEqual(['/api/v1/chat/ses-missing/summary']);
  });
});
