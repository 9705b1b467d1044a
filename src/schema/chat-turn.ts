/**
 * `Subscription.chatTurn`: one chat turn (`POST /api/v1/chat/{session_id}/messages/stream`),
 * each event yielded as soon as the upstream sends it, typed by the `ChatEvent` types; it
 * completes after the `stop` event (docs/architecture.md, "Streams"). Served over GraphQL over
 * SSE and over graphql-ws.
 *
 * Errors before the first event (bad arguments, no such session, too many streams) fail the
 * subscription itself. An error after it (the stream cut, silent for too long, the gateway
 * shutting down, the caller's token expiring) arrives as one last payload with the coded error,
 * then the subscription ends.
 */
import { honouredUntil } from '../auth/caller.js';
import { CallerAuthError } from '../auth/errors.js';
import type { GatewayContext } from '../context.js';
import type { ChatEvent, SessionKey } from '../domain.js';
import { codedError } from '../errors.js';
import { callerKey } from '../limits/caller.js';
import { StreamEndedByShutdownError } from '../streams/registry.js';
import type { StreamHandle, StreamOutcome } from '../streams/registry.js';
import { SessionNotFoundError } from '../upstream/errors.js';
import { validateIndexIds, validatePrompt, validateScope, validateSessionId } from './arguments.js';
import { builder, UPSTREAM_CALL_COST } from './builder.js';
import { ChatEventRef } from './chat-events.js';

/** The error that ended a stream, carried to `resolve` so it is coded at the usual boundary. */
interface TurnFailure {
  failure: unknown;
}

interface ChatTurnArgs {
  sessionId: string | number;
  prompt: string;
  indexIds?: readonly (string | number)[] | null | undefined;
  requireAllIndexes?: boolean | null | undefined;
  projectId?: string | null | undefined;
  organizationId?: string | null | undefined;
}

async function startChatTurn(
  args: ChatTurnArgs,
  ctx: GatewayContext,
): Promise<AsyncIterable<ChatEvent | TurnFailure>> {
  // Everything is validated before the first upstream call.
  const scope = validateScope(args);
  const key: SessionKey = { sessionId: validateSessionId(String(args.sessionId)), ...scope };
  const prompt = validatePrompt(args.prompt);
  const requested = validateIndexIds(args.indexIds);
  const api = ctx.chatApi();
  // Omitted: the session's own indexes (from its summary), none when it is unbound.
  let indexIds = requested;
  if (indexIds === undefined) {
    const session = await api.getSummary(key);
    if (!session) throw new SessionNotFoundError(key.sessionId);
    indexIds = session.indexIds ?? [];
  }
  // Lazy: the upstream turn starts on the first read, once the relay holds a stream slot.
  const events = api.streamTurn(key, {
    prompt,
    indexIds,
    ...(args.requireAllIndexes != null && { requireAllIndexes: args.requireAllIndexes }),
  });
  return relay(events, ctx);
}

/** setTimeout's longest delay; a token honoured for longer than this needs no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const codeOf = (error: unknown) => codedError(error)?.extensions.code as string | undefined;

/**
 * The relay as its consumer sees it. Ending it early (the client completed the operation or went
 * away) aborts the upstream turn at once: an async generator's `return()` would otherwise wait
 * for the upstream's next event, which may be a minute away.
 */
function relay(
  events: AsyncIterable<ChatEvent>,
  ctx: GatewayContext,
): AsyncGenerator<ChatEvent | TurnFailure> {
  let consumerLeft = false;
  const generator = relayTurn(events, ctx, () => consumerLeft);
  const original = generator.return.bind(generator);
  generator.return = (value) => {
    consumerLeft = true;
    ctx.cancel();
    return original(value);
  };
  return generator;
}

/**
 * Passes the upstream's events on, and reports the stream when it ends, however it ends. The
 * stream's slot (MAX_CONCURRENT_STREAMS, MAX_STREAMS_PER_CALLER) is taken on the first read, not
 * in `subscribe`: an iterable nobody reads (a response Yoga cannot stream, a batch) holds none.
 */
async function* relayTurn(
  events: AsyncIterable<ChatEvent>,
  ctx: GatewayContext,
  consumerLeft: () => boolean,
): AsyncGenerator<ChatEvent | TurnFailure> {
  let stream: StreamHandle;
  try {
    stream = ctx.streams.open(callerKey(ctx));
  } catch (error) {
    yield { failure: error };
    return;
  }
  // Shutdown ends the stream by cancelling its upstream call; the error below then says why.
  const onShutdown = () => ctx.cancel();
  stream.ended.addEventListener('abort', onShutdown, { once: true });
  // So does the caller's token expiring (docs/architecture.md, "Callers").
  let expired = false;
  const until = ctx.caller && honouredUntil(ctx.caller);
  const delay = until === undefined ? undefined : Math.max(0, until - Date.now());
  const expiry =
    delay === undefined || delay > MAX_TIMER_MS
      ? undefined
      : setTimeout(() => {
          expired = true;
          ctx.cancel();
        }, delay);
  let count = 0;
  let outcome: StreamOutcome = 'cancelled';
  let errorCode: string | undefined;
  try {
    for await (const event of events) {
      count++;
      yield event;
    }
    outcome = 'completed';
  } catch (error) {
    if (ctx.request.signal.aborted || consumerLeft()) return; // nobody to tell
    const failure = stream.ended.aborted
      ? new StreamEndedByShutdownError()
      : expired
        ? new CallerAuthError('expired')
        : error;
    outcome = stream.ended.aborted ? 'shutdown' : 'error';
    errorCode = codeOf(failure);
    yield { failure };
  } finally {
    stream.ended.removeEventListener('abort', onShutdown);
    clearTimeout(expiry);
    stream.close({
      requestId: ctx.record.requestId,
      transport: ctx.transport,
      events: count,
      outcome,
      errorCode,
    });
  }
}

builder.subscriptionType({ description: 'Live results from the LlamaCloud Chat API.' });

builder.subscriptionField('chatTurn', (t) =>
  t.field({
    type: ChatEventRef,
    cost: UPSTREAM_CALL_COST,
    description:
      'Sends one chat turn to a session and streams its events as the agent produces them (thinking, tool calls and results, text deltas), completing after the `stop` event. Never retried once sent. The prompt is never logged. Errors after the first event (STREAM_INTERRUPTED, UPSTREAM_TIMEOUT when the upstream falls silent, SHUTTING_DOWN) arrive as a last payload with `errors`.',
    args: {
      sessionId: t.arg.id({ required: true, description: 'The upstream session id.' }),
      prompt: t.arg.string({
        required: true,
        description: 'The user message, 1 to 1000 characters.',
      }),
      indexIds: t.arg.idList({
        description:
          "Indexes to retrieve from for this turn; the session's own indexes when omitted (none when it is unbound).",
      }),
      requireAllIndexes: t.arg.boolean({
        description: 'Fail the turn if any index cannot be queried (newer API versions).',
      }),
      projectId: t.arg.id({
        description: "Project UUID; the API key's default project when omitted.",
      }),
      organizationId: t.arg.id({ description: 'Organization UUID.' }),
    },
    subscribe: (_root, args, ctx) => startChatTurn(args, ctx),
    resolve: (item) => {
      if ('failure' in item) throw item.failure;
      return item;
    },
  }),
);
