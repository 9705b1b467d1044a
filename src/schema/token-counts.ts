/**
 * The token counts ChatJobMetadata and ChatUsage both carry (int64 upstream, hence SafeInt):
 * one definition, so the two types cannot drift apart.
 */
import type { ChatUsage } from '../domain.js';
import type { builder } from './builder.js';

type TokenCounts = Pick<ChatUsage, 'totalInputTokens' | 'totalOutputTokens'>;
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

export function tokenCountFields(t: PothosSchemaTypes.ObjectFieldBuilder<Types, TokenCounts>) {
  return {
    // Exposed (no resolver): graphql-jit reads them inline, as for the session's fields.
    totalInputTokens: t.expose('totalInputTokens', {
      type: 'SafeInt',
      nullable: true,
      description: 'Input (prompt) tokens consumed, when known.',
    }),
    totalOutputTokens: t.expose('totalOutputTokens', {
      type: 'SafeInt',
      nullable: true,
      description: 'Output (completion) tokens produced, when known.',
    }),
  };
}
