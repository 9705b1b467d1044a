import { createRequire } from 'node:module';

// package.json sits one level above both src/ and dist/.
const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export const USER_AGENT = `${pkg.name}/${pkg.version} (+graphql-yoga; node ${process.versions.node})`;
