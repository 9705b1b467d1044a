/**
 * The chatSessions connection over real HTTP: sandbox upstream <- gateway <- client.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_ORGANIZATIONS, SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import { SERVER_KEY, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const [defaultProject, supportDesk, legal] = SANDBOX_PROJECTS as [
  (typeof SANDBOX_PROJECTS)[number],
  (typeof SANDBOX_PROJECTS)[number],
  (typeof SANDBOX_PROJECTS)[number],
];

const PAGE = /* GraphQL */ `
  query Page($first: Int, $after: String, $projectId: ID, $organizationId: ID) {
    chatSessions(
      first: $first
      after: $after
      projectId: $projectId
      organizationId: $organizationId
    ) {
      edges {
        cursor
        node {
          sessionId
          lastUpdatedAt
          generatedTitle
          indexIds
          jobMetadata {
            durationMs
            error
            exportConfigIds
            isError
            totalInputTokens
            totalOutputTokens
            turns
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`;

interface Connection {
  edges: Array<{ cursor: string; node: Record<string, any> }>;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.resetRequests());

async function page(variables: Record<string, unknown>, headers?: Record<string, string>) {
  const res = await stack.graphql<{ chatSessions: Connection }>(PAGE, variables, headers);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.chatSessions;
}

async function pageThrough(first: number, projectId?: string) {
  const ids: string[] = [];
  let after: string | null = null;
  for (let i = 0; ; i++) {
    expect(i).toBeLessThan(500);
    const conn: Connection = await page({ first, after, projectId });
    expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
    ids.push(...conn.edges.map((e) => e.node.sessionId as string));
    if (!conn.pageInfo.hasNextPage) return ids;
    expect(conn.edges).toHaveLength(first);
    after = conn.pageInfo.endCursor;
  }
}

describe('chatSessions: paging', () => {
  const expected = () =>
    stack.sandbox.dataset.get(defaultProject.id)!.map((s) => s.summary.session_id);

  it.each([1, 7, 20, 100])(
    'pages through the whole default project with first: %i',
    async (first) => {
      const ids = await pageThrough(first);
      expect(ids).toHaveLength(defaultProject.sessionCount);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expected());
    },
  );

  it('sends the previous next_page_token as page_token when after = endCursor at a page boundary', async () => {
    // The sandbox's default page size is irrelevant: first maps to page_size.
    const firstPage = await page({ first: 20 });
    const [call] = stack.listCalls();
    expect(call!.query.page_size).toBe('20');
    expect(call!.query.page_token).toBeUndefined();
    const upstreamNext = await (
      await fetch(`${stack.sandbox.url}/api/v1/chat?page_size=20`, {
        headers: { authorization: `Bearer ${SERVER_KEY}` },
      })
    ).json();

    stack.resetRequests();
    await page({ first: 20, after: firstPage.pageInfo.endCursor });
    const calls = stack.listCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.query.page_token).toBe(upstreamNext.next_page_token);
    expect(calls[0]!.query.page_size).toBe('20');
  });

  it('resumes in the middle of an upstream page from an edge cursor', async () => {
    const first = await page({ first: 10 });
    const fifth = first.edges[4]!;
    stack.resetRequests();
    const resumed = await page({ first: 3, after: fifth.cursor });
    expect(resumed.edges.map((e) => e.node.sessionId)).toEqual(
      first.edges.slice(5, 8).map((e) => e.node.sessionId),
    );
    // Same page (no token), asking for the 5 skipped items plus the 3 wanted.
    expect(stack.listCalls().map((c) => [c.query.page_token, c.query.page_size])).toEqual([
      [undefined, '8'],
    ]);
  });

  it('fills first from several short upstream pages (sandbox max page size is 50)', async () => {
    const conn = await page({ first: 100 });
    expect(conn.edges).toHaveLength(100);
    const calls = stack.listCalls();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.query.page_token).toBeTruthy();
  });

  it('ends an exactly-filled last page with hasNextPage false and no extra call', async () => {
    const conn = await page({ first: 5, projectId: legal.id });
    expect(conn.edges).toHaveLength(5);
    expect(conn.pageInfo.hasNextPage).toBe(false);
    expect(stack.listCalls()).toHaveLength(1);
  });

  it('returns an empty connection for an empty project', async () => {
    const conn = await page({ first: 10, projectId: SANDBOX_PROJECTS[3]!.id });
    expect(conn).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it('gives the same cursors whichever cursor fields are selected (they are encoded on read)', async () => {
    // first: 60 spans two upstream pages (sandbox max page size 50): two page tokens.
    const full = await page({ first: 60 });
    const cursors = full.edges.map((e) => e.cursor);
    expect(new Set(cursors).size).toBe(60);
    expect(full.pageInfo.startCursor).toBe(cursors[0]);
    expect(full.pageInfo.endCursor).toBe(cursors[59]);
    const res = await stack.graphql<{
      pageInfoOnly: Pick<Connection, 'pageInfo'>;
      nodesOnly: { edges: Array<{ node: { sessionId: string } }> };
      endOnly: { pageInfo: { endCursor: string } };
    }>(/* GraphQL */ `
      query {
        pageInfoOnly: chatSessions(first: 60) {
          pageInfo {
            hasNextPage
            hasPreviousPage
            startCursor
            endCursor
          }
        }
        nodesOnly: chatSessions(first: 60) {
          edges {
            node {
              sessionId
            }
          }
        }
        endOnly: chatSessions(first: 60) {
          pageInfo {
            endCursor
          }
        }
      }
    `);
    expect(res.body.errors).toBeUndefined();
    const data = res.body.data!;
    expect(data.pageInfoOnly.pageInfo).toEqual(full.pageInfo);
    expect(data.nodesOnly.edges).toEqual(
      full.edges.map((e) => ({ node: { sessionId: e.node.sessionId } })),
    );
    expect(data.endOnly.pageInfo).toEqual({ endCursor: full.pageInfo.endCursor });
    // The cursor resumes right after the 60th session.
    const next = await page({ first: 1, after: data.endOnly.pageInfo.endCursor });
    expect(next.edges[0]!.node.sessionId).toBe(
      stack.sandbox.dataset.get(defaultProject.id)![60]!.summary.session_id,
    );
  });

  it('uses DEFAULT_PAGE_SIZE when first is omitted', async () => {
    const conn = await page({});
    expect(conn.edges).toHaveLength(20);
    expect(stack.listCalls()[0]!.query.page_size).toBe('20');
  });
});

describe('chatSessions: arguments and credentials reach the upstream', () => {
  it('sends projectId/organizationId as project_id/organization_id', async () => {
    const conn = await page({
      first: 3,
      projectId: supportDesk.id,
      organizationId: SANDBOX_ORGANIZATIONS.acme,
    });
    const call = stack.listCalls()[0]!;
    expect(call.query).toMatchObject({
      project_id: supportDesk.id,
      organization_id: SANDBOX_ORGANIZATIONS.acme,
    });
    const expected = stack.sandbox.dataset
      .get(supportDesk.id)!
      .slice(0, 3)
      .map((s) => s.summary.session_id);
    expect(conn.edges.map((e) => e.node.sessionId)).toEqual(expected);
  });

  it("forwards the client's bearer token, else the server key", async () => {
    await page({ first: 1 }, { authorization: 'Bearer llx-client-key-123' });
    await page({ first: 1 });
    const [withClientKey, withServerKey] = stack.listCalls();
    expect(withClientKey!.headers.authorization).toBe('Bearer llx-client-key-123');
    expect(withServerKey!.headers.authorization).toBe(`Bearer ${SERVER_KEY}`);
    expect(withClientKey!.headers.accept).toBe('application/json');
    expect(withClientKey!.headers['user-agent']).toMatch(/^llamacloud-chat-gateway\/\d+\.\d+\.\d+/);
  });

  it('cannot be steered into other paths or parameters by a cursor or id', async () => {
    // A foreign "token" is only ever a query value: URLSearchParams encodes it.
    const res = await stack.graphql(PAGE, {
      projectId: '3f0e8a52-6c1d-4b7a-9e2f-5a8c1d3b7e90&page_size=1',
    });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.listCalls()).toHaveLength(0);
  });
});

describe('chatSessions: field mapping', () => {
  it('maps every field of every session, nulls included', async () => {
    const conn = await page({ first: 100 });
    const wire = stack.sandbox.dataset
      .get(defaultProject.id)!
      .slice(0, 100)
      .map((s) => s.summary);
    conn.edges.forEach(({ node }, i) => {
      const w = wire[i]!;
      expect(node.sessionId).toBe(w.session_id);
      expect(node.lastUpdatedAt).toBe(`${w.last_updated_at}Z`);
      expect(node.lastUpdatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(node.generatedTitle).toBe(w.generated_title);
      expect(node.indexIds).toEqual(w.index_ids);
      if (w.job_metadata === null) {
        expect(node.jobMetadata).toBeNull();
      } else {
        const j = w.job_metadata;
        expect(node.jobMetadata).toEqual({
          durationMs: j.duration_ms,
          error: j.error,
          exportConfigIds: j.export_config_ids,
          isError: j.is_error,
          totalInputTokens: j.total_input_tokens,
          totalOutputTokens: j.total_output_tokens,
          turns: j.turns,
        });
      }
    });
    // The sample really covers the interesting shapes.
    const nodes = conn.edges.map((e) => e.node);
    expect(nodes.some((n) => n.generatedTitle === null)).toBe(true);
    expect(nodes.some((n) => n.indexIds === null)).toBe(true);
    expect(nodes.some((n) => n.jobMetadata === null)).toBe(true);
    expect(nodes.some((n) => n.jobMetadata?.isError === true && n.jobMetadata.error)).toBe(true);
    expect(nodes.some((n) => n.jobMetadata?.totalInputTokens > 2 ** 31)).toBe(true);
    expect(nodes.some((n) => n.jobMetadata?.totalInputTokens === Number.MAX_SAFE_INTEGER)).toBe(
      true,
    );
    expect(nodes.some((n) => /[^ -~]/.test(n.generatedTitle ?? ''))).toBe(true);
  });
});

describe('chatSessions: bad input fails with BAD_USER_INPUT and zero upstream calls', () => {
  const cursorOf = async (projectId: string) =>
    (await page({ first: 2, projectId })).pageInfo.endCursor;

  it.each([
    ['negative first', { first: -1 }],
    ['first above MAX_PAGE_SIZE', { first: 101 }],
    ['a garbage cursor', { after: 'definitely-not-a-cursor' }],
    ['a non-UUID projectId', { projectId: 'project-1' }],
    ['a non-UUID organizationId', { organizationId: '../admin' }],
  ])('%s', async (_name, variables) => {
    const res = await stack.graphql(PAGE, variables);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ chatSessions: null });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('a cursor from another project', async () => {
    const foreign = await cursorOf(supportDesk.id);
    stack.resetRequests();
    const res = await stack.graphql(PAGE, { first: 2, after: foreign, projectId: legal.id });
    expect(res.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0]!.message).toMatch(/different projectId/);
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('chatSessions: aliases', () => {
  it('resolves two aliased connections in one query', async () => {
    const res = await stack.graphql(
      /* GraphQL */ `
      query Two($a: ID, $b: ID) {
        research: chatSessions(first: 3, projectId: $a) { edges { node { sessionId } } pageInfo { hasNextPage } }
        legal: chatSessions(first: 10, projectId: $b) { edges { node { sessionId } } pageInfo { hasNextPage } }
      }`.replace(
        'query Two($a: ID, $b: ID)',
        `query Two($a: ID = "${defaultProject.id}", $b: ID = "${legal.id}")`,
      ),
    );
    expect(res.body.errors).toBeUndefined();
    const data = res.body.data as Record<string, Connection>;
    expect(data.research!.edges.map((e) => e.node.sessionId)).toEqual(
      stack.sandbox.dataset
        .get(defaultProject.id)!
        .slice(0, 3)
        .map((s) => s.summary.session_id),
    );
    expect(data.legal!.edges).toHaveLength(5);
    expect(data.legal!.pageInfo.hasNextPage).toBe(false);
    expect(
      stack
        .listCalls()
        .map((c) => c.query.project_id)
        .sort(),
    ).toEqual([defaultProject.id, legal.id].sort());
  });
});
