/** schema.graphql is generated from the Pothos schema and committed: it must not drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSchemaFile } from '../scripts/schema-file.js';

describe('schema.graphql', () => {
  it('matches the schema built from code (run `npm run schema:print` after a schema change)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaFile());
  });
});
