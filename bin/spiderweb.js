#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx spiderweb` works in a checkout right after `npm install`.
process.env.DOTENV_CONFIG_QUIET ??= 'true';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv));
