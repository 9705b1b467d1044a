/**
 * Deterministic demo data for the sandbox upstream, in the upstream's wire format.
 * Same seed, same data: tests may rely on counts and on the shapes listed below.
 *
 * It exercises every documented shape: null titles, unicode and very long titles, null, empty
 * and long `index_ids`, null `job_metadata`, failed runs, token counts beyond 2^31 (and up to
 * 2^53 - 1), and every event type of the full-session endpoint, plus one unknown event type.
 */

export interface SandboxProject {
  id: string;
  name: string;
  organizationId: string;
  sessionCount: number;
}

export const SANDBOX_ORGANIZATIONS = {
  acme: '0b7e2c1a-5d4f-4e8a-9c3b-2f1d6a8e4c70',
  globex: '7f3a9d2e-1c6b-4b8f-a5e4-9d0c3b2a1f68',
} as const;

/** The first project is the default one (used when project_id is absent). */
export const SANDBOX_PROJECTS: readonly SandboxProject[] = [
  {
    id: '3f0e8a52-6c1d-4b7a-9e2f-5a8c1d3b7e90',
    name: 'Research assistant',
    organizationId: SANDBOX_ORGANIZATIONS.acme,
    sessionCount: 237,
  },
  {
    id: '9c2d4e6f-8a1b-4c3d-b5e7-f9a1c3e5b7d2',
    name: 'Support desk',
    organizationId: SANDBOX_ORGANIZATIONS.acme,
    sessionCount: 64,
  },
  {
    id: 'a4b6c8d0-e2f4-4a6b-8c0d-e2f4a6b8c0d2',
    name: 'Legal review',
    organizationId: SANDBOX_ORGANIZATIONS.globex,
    sessionCount: 5,
  },
  {
    id: 'e1d2c3b4-a5f6-4e7d-8c9b-a0f1e2d3c4b5',
    name: 'Empty project',
    organizationId: SANDBOX_ORGANIZATIONS.acme,
    sessionCount: 0,
  },
];

export type WireJobMetadata = {
  duration_ms: number;
  error: string | null;
  export_config_ids: string[] | null;
  is_error: boolean;
  total_input_tokens: number | null;
  total_output_tokens: number | null;
  turns: number;
};

export type WireSession = {
  session_id: string;
  last_updated_at: string;
  generated_title: string | null;
  index_ids: string[] | null;
  job_metadata: WireJobMetadata | null;
  /** Newer API versions only; the seeded sessions are older and have none. */
  shared_access?: 'query' | 'read_only' | null;
};

export type WireEvent = { type: string } & Record<string, unknown>;

export interface SandboxSession {
  projectId: string;
  summary: WireSession;
  events: WireEvent[];
}

/** mulberry32: tiny, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TITLES = [
  'What were the main findings in Q3?',
  'Summarise the onboarding handbook',
  'Résumé des résultats du T3 📈',
  '第三季度的主要发现是什么？',
  'Compare the 2025 and 2026 pricing sheets',
  'Зведення звіту про інциденти',
  'Which contracts renew before July?',
  'Draft a reply to the customer about "refund" <policy> & terms',
  'مراجعة سياسة الخصوصية',
  'Explain the architecture diagram on page 12',
];

export const INDEX_POOL: readonly string[] = Array.from(
  { length: 40 },
  (_, i) => `idx-${(i * 7919 + 104729).toString(36)}`,
);

/**
 * Builds every session of every project; sessions are listed most recent first.
 * `sessionPrefix` tells tenants apart (isolation tests); the default data set uses `ses-`.
 */
export function buildDataset(seed = 42, sessionPrefix = 'ses-'): Map<string, SandboxSession[]> {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const byProject = new Map<string, SandboxSession[]>();
  let clock = Date.UTC(2026, 3, 22, 12, 34, 41); // 2026-04-22T12:34:41Z
  let serial = 0;

  for (const project of SANDBOX_PROJECTS) {
    const sessions: SandboxSession[] = [];
    for (let i = 0; i < project.sessionCount; i++, serial++) {
      clock -= Math.floor(random() * 90 + 1) * 60_000;
      const micros = String(Math.floor(random() * 1_000_000)).padStart(6, '0');
      const sessionId = `${sessionPrefix}${(serial * 2654435761 + 12345).toString(36).slice(-10).padStart(10, '0')}`;
      const variant = serial % 10;

      const title =
        variant === 3
          ? null
          : serial % 53 === 7
            ? `${pick(TITLES)} — ${'with a very long follow-up question '.repeat(12).trim()}`
            : pick(TITLES);
      const indexIds =
        variant === 1
          ? null
          : variant === 5
            ? []
            : serial % 41 === 2
              ? INDEX_POOL.slice(0, 32)
              : [pick(INDEX_POOL), pick(INDEX_POOL)].filter((v, j, all) => all.indexOf(v) === j);

      let job: WireJobMetadata | null = null;
      if (variant !== 6) {
        const failed = variant === 8;
        const big = serial % 17 === 4;
        job = {
          duration_ms: Math.round(random() * 120_000 * 1000) / 1000,
          error: failed ? 'Tool call "search_index" timed out after 30s' : null,
          export_config_ids: variant === 2 ? [`exp-${serial.toString(36)}`] : null,
          is_error: failed,
          total_input_tokens: big
            ? serial % 2
              ? 9_007_199_254_740_991
              : 3_000_000_000 + serial
            : Math.floor(random() * 50_000),
          total_output_tokens: variant === 9 ? null : Math.floor(random() * 8_000),
          turns: Math.floor(random() * 12) + 1,
        };
      }

      const lastUpdatedAt = `${new Date(clock).toISOString().slice(0, 19)}.${micros}`;
      sessions.push({
        projectId: project.id,
        summary: {
          session_id: sessionId,
          last_updated_at: lastUpdatedAt,
          generated_title: title,
          index_ids: indexIds,
          job_metadata: job,
        },
        events: buildEvents(sessionId, title, job, serial),
      });
    }
    byProject.set(project.id, sessions);
  }
  return byProject;
}

function buildEvents(
  sessionId: string,
  title: string | null,
  job: WireJobMetadata | null,
  serial: number,
): WireEvent[] {
  if (!job) return [];
  const callId = `call-${sessionId.slice(4)}`;
  const events: WireEvent[] = [
    { type: 'user_input', content: title ?? 'Hello' },
    { type: 'thinking_delta', content: 'Looking for ' },
    { type: 'thinking', content: 'Looking for the relevant documents.' },
    {
      type: 'tool_call',
      call_id: callId,
      name: 'search_index',
      arguments: { query: title ?? 'hello', top_k: 5 },
    },
    {
      type: 'tool_result',
      call_id: callId,
      name: 'search_index',
      result: { hits: [{ id: 'doc-1', score: 0.92 }], truncated: false },
      image_attachment:
        serial % 3 === 0 ? { attachment_name: 'page-12.png', source_id: `src-${serial}` } : null,
    },
    { type: 'text_delta', content: 'The main ' },
    { type: 'text', content: 'The main findings are summarised below.' },
  ];
  // One session in ten carries an event type the docs do not list: clients must survive it.
  if (serial % 10 === 4) events.push({ type: 'citation', source_id: `src-${serial}`, page: 3 });
  events.push({
    type: 'stop',
    error: job.error,
    is_error: job.is_error,
    usage: {
      duration_ms: job.duration_ms,
      total_input_tokens: job.total_input_tokens,
      total_output_tokens: job.total_output_tokens,
      turns: job.turns,
    },
  });
  return events;
}
