import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import type { Store } from '../../leads/index.ts';
import {
  addAnalyst,
  createApiToken,
  createOneTimeLogin,
  disableAnalyst,
  listAnalysts,
  servedUrl,
  setPassword,
} from '../../review/index.ts';
import { out, table } from '../output.ts';
import { openStore } from './leads.ts';

async function withStore<T>(cmd: Command, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(cmd);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The password piped on standard input (one line; the trailing newline is dropped). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UsageError('--password-stdin: pipe the password in, e.g. `printf %s "$PW" | …`');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!password) throw new UsageError('--password-stdin: standard input was empty');
  return password;
}

export function register(program: Command): void {
  const analyst = program.command('analyst').description("manage the review app's analyst accounts");

  analyst
    .command('add')
    .description('add an analyst (prints a generated password unless --password-stdin)')
    .argument('<name>', 'sign-in name: letters, digits, . _ -')
    .option('--password-stdin', 'read the password from standard input (at least 12 characters)')
    .action(async (name: string, opts: { passwordStdin?: boolean }, cmd: Command) => {
      const password = opts.passwordStdin ? await readPassword() : randomBytes(15).toString('base64url');
      await withStore(cmd, async (store) => {
        await addAnalyst(store, name, password);
        out(`analyst ${name} added to ${store.location}`);
        if (!opts.passwordStdin) out(`password (shown once): ${password}`);
      });
    });

  analyst
    .command('list')
    .description('list analysts')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const rows = await listAnalysts(store);
        if (opts.json) for (const r of rows) out(JSON.stringify(r));
        else {
          out(
            table(
              ['id', 'name', 'password', 'created', 'disabled'],
              rows.map((r) => [
                r.id,
                r.name,
                r.hasPassword ? 'yes' : 'no',
                r.created_at.slice(0, 19),
                r.disabled_at?.slice(0, 19) ?? '',
              ]),
            ),
          );
          out(`${rows.length} analyst(s)`);
        }
      });
    });

  analyst
    .command('passwd')
    .description("set an analyst's password: piped on standard input, or generated and printed once")
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const generated = process.stdin.isTTY ? randomBytes(15).toString('base64url') : null;
      const password = generated ?? (await readPassword());
      await withStore(cmd, async (store) => {
        await setPassword(store, name, password);
        out(`password of ${name} changed`);
        if (generated) out(`password (shown once): ${generated}`);
      });
    });

  analyst
    .command('link')
    .description('print a one-time sign-in link (valid once, for 10 minutes)')
    .argument('<name>')
    .option('--url <url>', "the review app's address (default: where `spiderweb serve` serves now)")
    .action(async (name: string, opts: { url?: string }, cmd: Command) => {
      const config = await loadConfig(cmd.optsWithGlobals().config);
      const running = servedUrl(config.runtime.dataDir);
      const url = opts.url ?? running ?? 'http://127.0.0.1:8080';
      await withStore(cmd, async (store) => {
        const link = await createOneTimeLogin(store, name);
        out(`${url.replace(/\/$/, '')}${link.path}`);
        out(`valid once, until ${link.expiresAt}`);
        if (!opts.url && !running)
          out(
            `no \`spiderweb serve\` is running on ${config.runtime.dataDir}: the link assumes ${url} (--url to say where)`,
          );
      });
    });

  analyst
    .command('token')
    .description('create an API token for `Authorization: Bearer <token>` (shown once)')
    .argument('<name>')
    .option('--label <text>', 'what the token is for', '')
    .action(async (name: string, opts: { label: string }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        out(await createApiToken(store, name, opts.label));
      });
    });

  analyst
    .command('disable')
    .description('stop an analyst signing in (sessions end; the audit log keeps their actions)')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withStore(cmd, async (store) => {
        await disableAnalyst(store, name);
        out(`analyst ${name} disabled`);
      });
    });
}
