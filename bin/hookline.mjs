#!/usr/bin/env node
// The CLI. In a checkout (src/ and the dev dependency tsx present) it runs the TypeScript source
// through tsx, so it is always the current code, without a build step; in a production install
// (`npm ci --omit=dev`: no tsx) it runs the compiled dist/cli/main.js (`npm run build`).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
const source = new URL('src/cli/main.ts', root);
const compiled = new URL('dist/cli/main.js', root);

function resolvable(specifier) {
  try {
    createRequire(import.meta.url).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

if (existsSync(source) && resolvable('tsx/esm/api')) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write('hookline: neither tsx with src/ (npm install) nor dist/ (npm run build) is here\n');
  process.exit(1);
}
