/** Writes schema.graphql from the Pothos schema (`npm run schema:print`; a test checks drift). */
import { writeFileSync } from 'node:fs';
import { printSchemaFile } from './schema-file.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printSchemaFile());
console.log('wrote schema.graphql');
