/**
 * GraphiQL from local assets only: @graphql-yoga/render-graphiql inlines the editor, its CSS and
 * its workers into one HTML page, so it works offline and behind firewalls (Yoga's default
 * loads them from a CDN). Rendered once: the page is ~9 MB of JS.
 *
 * That module is loaded on the first GraphiQL request, not at start-up: importing it costs ~45 MB
 * of RSS (its ~9 MB of inlined source), which API-only traffic never needs (bench/README.md).
 */
import type { GraphiQLOptions } from 'graphql-yoga';

export const EXAMPLE_QUERY = `# Chat sessions of the default project, 5 at a time.
# Run it, then pass pageInfo.endCursor as "after" for the next page.
query RecentChatSessions($after: String) {
  chatSessions(first: 5, after: $after) {
    edges {
      node {
        sessionId
        generatedTitle
        lastUpdatedAt
        indexIds
        jobMetadata {
          isError
          error
          turns
          totalInputTokens
          totalOutputTokens
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

export const CREATE_SESSION_MUTATION = `# Creates an empty chat session (add "indexIds" to the
# input to retrieve from your indexes). Run it, then
# copy chatSession.sessionId into the variables of the
# ChatTurn and DeleteChatSession tabs.
mutation CreateChatSession($input: CreateChatSessionInput!) {
  createChatSession(input: $input) {
    chatSession {
      id
      sessionId
      lastUpdatedAt
      indexIds
    }
  }
}
`;

/** Placeholder the chatTurn and delete tabs hold until the user pastes a real id. */
export const SESSION_ID_PLACEHOLDER = 'paste-the-sessionId-from-the-CreateChatSession-tab';

export const CHAT_TURN_SUBSCRIPTION = `# Sends one message and streams the answer over SSE: the
# result pane shows each event as it arrives, ending with
# the stop event.
# Paste the sessionId from the CreateChatSession tab into
# "sessionId" in the variables pane below.
subscription ChatTurn($sessionId: ID!, $prompt: String!) {
  chatTurn(sessionId: $sessionId, prompt: $prompt) {
    type
    ... on ThinkingDeltaChatEvent {
      content
    }
    ... on ToolCallChatEvent {
      callId
      name
      arguments
    }
    ... on ToolResultChatEvent {
      callId
      result
    }
    ... on TextDeltaChatEvent {
      content
    }
    ... on TextChatEvent {
      content
    }
    ... on StopChatEvent {
      isError
      error
      skippedIndexIds
      usage {
        durationMs
        turns
        totalInputTokens
        totalOutputTokens
      }
    }
  }
}
`;

export const DELETE_SESSION_MUTATION = `# Deletes a chat session.
# Paste the sessionId from the CreateChatSession tab into
# "sessionId" in the variables pane below.
mutation DeleteChatSession($sessionId: ID!) {
  deleteChatSession(input: { sessionId: $sessionId }) {
    deletedSessionId
    deletedId
  }
}
`;

/** What GraphiQL opens with (when the browser has no tabs saved from an earlier visit). */
export const GRAPHIQL_TABS: ReadonlyArray<{ query: string; variables: string }> = [
  { query: EXAMPLE_QUERY, variables: '{}' },
  { query: CREATE_SESSION_MUTATION, variables: JSON.stringify({ input: {} }, null, 2) },
  {
    query: CHAT_TURN_SUBSCRIPTION,
    variables: JSON.stringify(
      { sessionId: SESSION_ID_PLACEHOLDER, prompt: 'What do my documents say about refunds?' },
      null,
      2,
    ),
  },
  {
    query: DELETE_SESSION_MUTATION,
    variables: JSON.stringify({ sessionId: SESSION_ID_PLACEHOLDER }, null, 2),
  },
];

export const graphiqlOptions: GraphiQLOptions = {
  title: 'LlamaCloud chat sessions — GraphiQL',
  defaultQuery: EXAMPLE_QUERY,
  defaultTabs: GRAPHIQL_TABS.map((tab) => ({ ...tab })),
  // Subscriptions (chatTurn) as a JSON POST with `Accept: text/event-stream`. GraphiQL's SSE
  // executor otherwise sends them as GET, which CSRF prevention refuses (src/plugins/csrf.ts).
  method: 'POST',
};

let rendered: Promise<string> | undefined;

export function renderLocalGraphiQL(options: GraphiQLOptions): Promise<string> {
  // Options are fixed per process, so one rendering serves every request.
  rendered ??= import('@graphql-yoga/render-graphiql').then(
    ({ renderGraphiQL }) => renderGraphiQL(options),
    (error: unknown) => {
      rendered = undefined; // let the next request try again
      throw error;
    },
  );
  return rendered;
}
