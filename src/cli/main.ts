import { Command, CommanderError } from 'commander';
import { ConfigError, UsageError, errorMessage } from '../errors.ts';
import { commands } from './commands/index.ts';

/**
 * `spiderweb` entry point. Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
 * Every command lives in `commands/<name>.ts` and exports `register(program)`.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('spiderweb')
    .description('Online drug-market monitoring crawler')
    .option('-c, --config <dir>', 'config directory', process.env.SPIDERWEB_CONFIG ?? 'config')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`spiderweb: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`spiderweb: ${errorMessage(err)}\n`);
    if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
