/**
 * `spiderweb doctor`: what this machine has and lacks for Spiderweb, each with the command that
 * installs what is missing. Every check runs the real code path (the same Chromium lookup, store
 * opening and Redis probe the crawler uses), never a guess from the file system alone.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Config, loadLexicons, loadModels, modelsDirOf } from '../config/index.ts';
import { resolveChromiumPath } from '../crawl/browser/index.ts';
import { errorMessage } from '../errors.ts';
import { Store } from '../leads/index.ts';
import { probeClient, type RedisDurability, redact, redisDurability } from '../queue/index.ts';

const run = promisify(execFile);

export interface Check {
  /** `redis`, `store`, `classifier`, `chromium`, `fonts-cjk`, `fonts-cyrillic`, `disk`. */
  name: string;
  ok: boolean;
  /** A failed required check makes `doctor` exit 1; others are warnings. */
  required: boolean;
  /** What was found, or what is wrong. */
  detail: string;
  /** The command that installs or fixes what is missing. */
  fix?: string;
}

/** Below this, evidence writes fail soon: doctor fails. Below `DISK_WARN`, it warns. */
const DISK_MIN = 500 * 1024 ** 2;
const DISK_WARN = 5 * 1024 ** 3;

const INSTALL = {
  redis: 'apt-get install -y redis-server',
  chromium: 'apt-get install -y chromium',
  cjk: 'apt-get install -y fonts-noto-cjk',
  cyrillic: 'apt-get install -y fonts-dejavu-core',
} as const;

export interface DoctorOptions {
  /** Environment for the Chromium lookup (`SPIDERWEB_CHROMIUM`). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Where to probe for Redis when none is configured. Default 127.0.0.1:6379. */
  redisProbe?: string;
}

/** Every check, in the order they are printed. */
export async function runDoctor(config: Config, opts: DoctorOptions = {}): Promise<Check[]> {
  const env = opts.env ?? process.env;
  const fonts = await fontChecks();
  return [
    await redisCheck(config.runtime.redis.url, opts.redisProbe ?? 'redis://127.0.0.1:6379'),
    await storeCheck(config),
    await classifierCheck(config.lexiconsDir),
    chromiumCheck(config, env),
    ...fonts,
    await diskCheck(config.runtime.dataDir),
  ];
}

async function redisCheck(configured: string | null, probe: string): Promise<Check> {
  const url = configured ?? probe;
  const client = probeClient(url);
  try {
    await client.connect();
    await client.ping();
    let d: RedisDurability;
    try {
      d = await redisDurability(client);
    } catch (err) {
      return {
        name: 'redis',
        ok: true,
        required: true,
        detail: `${redact(url)} answers (INFO refused: ${errorMessage(err)})`,
      };
    }
    const summary = `appendonly ${d.aof ? 'yes' : 'no'}, RDB ${d.rdb ? 'on' : 'off'}, maxmemory-policy ${d.maxmemoryPolicy}`;
    if (d.warnings.length) {
      const fixes = [
        ...(d.aof ? [] : ['redis-cli CONFIG SET appendonly yes']),
        ...(d.maxmemoryPolicy === 'noeviction' ? [] : ['redis-cli CONFIG SET maxmemory-policy noeviction']),
      ];
      return {
        name: 'redis',
        ok: false,
        required: false,
        detail: `${redact(url)} answers, but ${d.warnings.join('; ')}`,
        fix: fixes.join(' && '),
      };
    }
    return { name: 'redis', ok: true, required: true, detail: `${redact(url)} answers; ${summary}` };
  } catch (err) {
    if (configured)
      return {
        name: 'redis',
        ok: false,
        required: true,
        detail: `${redact(url)} does not answer (${errorMessage(err)})`,
        fix: 'start Redis there, or unset REDIS_URL',
      };
    if (await onPath('redis-server'))
      return {
        name: 'redis',
        ok: true,
        required: true,
        detail: `nothing answers at ${redact(url)}; a private redis-server will be started for each run`,
      };
    return {
      name: 'redis',
      ok: false,
      required: true,
      detail: `nothing answers at ${redact(url)} and there is no redis-server to start`,
      fix: INSTALL.redis,
    };
  } finally {
    client.disconnect();
  }
}

async function storeCheck(config: Config): Promise<Check> {
  try {
    const store = await Store.open(config.runtime.store.url, config.runtime.dataDir);
    const where = store.location;
    await store.close();
    return { name: 'store', ok: true, required: true, detail: `${where} opens and is up to date` };
  } catch (err) {
    return {
      name: 'store',
      ok: false,
      required: true,
      detail: errorMessage(err),
      fix: 'check store.url / DATABASE_URL and that the data directory is writable',
    };
  }
}

/**
 * The lexicons and models workers would load. A model reads the lexicons' evidence as features, so
 * one trained with other lexicons still runs but is worth retraining: a warning with its command.
 */
async function classifierCheck(dir: string): Promise<Check> {
  // Compiled once: the lexicons' own version is what a model records, and the models load beside.
  let plain: Awaited<ReturnType<typeof loadLexicons>>;
  let loaded: Awaited<ReturnType<typeof loadModels>>;
  try {
    plain = await loadLexicons(dir, { models: false });
    loaded = await loadModels(modelsDirOf(dir));
  } catch (err) {
    return {
      name: 'classifier',
      ok: false,
      required: true,
      detail: errorMessage(err),
      fix: `npx spiderweb lexicon lint ${dir}`,
    };
  }
  const models = Object.entries(loaded);
  const stale = models.filter(([, m]) => m.manifest.lexiconVersion !== plain.version);
  const what = `lexicons ${plain.version} (${plain.terms.length} terms) in ${dir}`;
  if (stale.length)
    return {
      name: 'classifier',
      ok: false,
      required: false,
      detail: `${what}; ${stale.map(([c, m]) => `the ${c} model was trained with lexicons ${m.manifest.lexiconVersion}`).join(', ')}: retrain it so its lexicon features match`,
      fix: stale.map(([, m]) => `npx ${m.manifest.command}`).join(' && '),
    };
  const names = models.map(([c]) => c);
  return {
    name: 'classifier',
    ok: true,
    required: true,
    detail: `${what}; ${names.length ? `models ${names.join(', ')}, trained with these lexicons` : 'no models'}`,
  };
}

function chromiumCheck(config: Config, env: NodeJS.ProcessEnv): Check {
  try {
    const path = resolveChromiumPath(config.runtime.browser.executablePath, env);
    return {
      name: 'chromium',
      ok: true,
      required: true,
      detail: `${path} (browser sites and evidence screenshots)`,
    };
  } catch (err) {
    return {
      name: 'chromium',
      ok: false,
      required: true,
      detail: `${errorMessage(err)}: no browser sites, no evidence screenshots`,
      fix: INSTALL.chromium,
    };
  }
}

/** Fonts Chromium draws screenshots with: without them Chinese or Cyrillic text shows as empty boxes. */
async function fontChecks(): Promise<Check[]> {
  const families = async (lang: string) => {
    try {
      return (await run('fc-list', [`:lang=${lang}`, 'family'])).stdout.trim().split('\n').filter(Boolean);
    } catch {
      return null;
    }
  };
  const [zh, ru] = await Promise.all([families('zh'), families('ru')]);
  const check = (name: string, script: string, found: string[] | null, fix: string): Check =>
    found?.length
      ? { name, ok: true, required: false, detail: `${found.length} font(s), e.g. ${found[0]}` }
      : {
          name,
          ok: false,
          required: false,
          detail: `${found === null ? 'fc-list (fontconfig) is missing' : `no ${script} font`}: ${script} text shows as empty boxes in screenshots and the review app`,
          fix,
        };
  return [
    check('fonts-cjk', 'Chinese', zh, INSTALL.cjk),
    check('fonts-cyrillic', 'Cyrillic', ru, INSTALL.cyrillic),
  ];
}

async function diskCheck(dataDir: string): Promise<Check> {
  let dir = resolve(dataDir);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const s = await statfs(dir);
  const free = s.bavail * s.bsize;
  const gib = (free / 1024 ** 3).toFixed(1);
  const detail = `${gib} GiB free for evidence under ${resolve(dataDir)}`;
  if (free < DISK_MIN)
    return {
      name: 'disk',
      ok: false,
      required: true,
      detail,
      fix: 'free space or set SPIDERWEB_DATA_DIR to a larger disk',
    };
  if (free < DISK_WARN)
    return {
      name: 'disk',
      ok: false,
      required: false,
      detail,
      fix: 'evidence grows with every lead: plan more space',
    };
  return { name: 'disk', ok: true, required: true, detail };
}

async function onPath(binary: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${binary}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The one-line warning `demo` and `crawl` print when leads would be sealed without screenshots, or
 * with Chinese or Cyrillic text drawn as boxes; null when nothing is missing.
 */
export async function screenshotWarning(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  const missing = [chromiumCheck(config, env), ...(await fontChecks())].filter((c) => !c.ok);
  if (!missing.length) return null;
  const what = missing.map((c) =>
    c.name === 'chromium' ? 'no Chromium: leads are sealed without screenshots' : c.detail.split(':')[0],
  );
  return `warning: ${what.join('; ')} (fix: ${missing.map((c) => c.fix).join(' && ')}; details: spiderweb doctor)`;
}
