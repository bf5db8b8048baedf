#!/usr/bin/env node
// The CLI is TypeScript run through tsx (a runtime dependency), so it works from a clone after
// `npm install`, without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
