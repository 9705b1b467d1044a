/**
 * Writes schema.graphql (client schema), subgraph.graphql (federation subgraph SDL) and
 * possible-types.json from the Pothos schema (`npm run schema:print`; a test checks drift).
 */
import { writeFileSync } from 'node:fs';
import { SCHEMA_FILES } from './schema-file.js';

for (const [file, print] of Object.entries(SCHEMA_FILES)) {
  writeFileSync(new URL(`../${file}`, import.meta.url), print());
  console.log(`wrote ${file}`);
}
