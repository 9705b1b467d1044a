/**
 * Builds the GraphQL schema: importing each type family registers it on the builder. The result
 * is an Apollo Federation 2 subgraph (it also serves `_service` and `_entities`).
 */
import { builder } from './builder.js';
import './scalars.js';
import './chat-session.js';
import './chat-sessions.js';
import './chat-events.js';
import './project.js';
import './indexes.js';
import './chat-session-mutations.js';
import './chat-turn.js';

/** Pinned, so a plugin upgrade cannot silently change the printed SDL (v2.9: `@cost`, `@listSize`). */
export const FEDERATION_LINK_URL = 'https://specs.apollo.dev/federation/v2.9';

export function buildSchema() {
  return builder.toSubGraphSchema({ linkUrl: FEDERATION_LINK_URL });
}
