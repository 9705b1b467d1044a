/** Builds the GraphQL schema: importing each type family registers it on the builder. */
import { builder } from './builder.js';
import './scalars.js';
import './chat-session.js';
import './chat-sessions.js';
import './chat-events.js';

export function buildSchema() {
  return builder.toSchema();
}
