/**
 * The token counts ChatJobMetadata and ChatUsage both carry (int64 upstream, hence SafeInt):
 * one definition, so the two types cannot drift apart.
 */
import type { ChatUsage } from '../domain.js';
import type { builder } from './builder.js';

type TokenCounts = Pick<ChatUsage, 'totalInputTokens' | 'totalOutputTokens'>;
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

export function tokenCountFields<Parent extends TokenCounts>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, Parent>,
) {
  return {
    totalInputTokens: t.field({
      type: 'SafeInt',
      nullable: true,
      description: 'Input (prompt) tokens consumed, when known.',
      resolve: (parent) => parent.totalInputTokens,
    }),
    totalOutputTokens: t.field({
      type: 'SafeInt',
      nullable: true,
      description: 'Output (completion) tokens produced, when known.',
      resolve: (parent) => parent.totalOutputTokens,
    }),
  };
}
