/**
 * The Lua scripts behind the politeness gate. Each decision is one script, so it is atomic across
 * every worker on every machine, and each reads the clock with Redis `TIME`, so all machines share
 * one clock. Times inside the scripts are integer microseconds since the epoch.
 *
 * Keys of a host (`{host}` is a hash tag, so a host's keys share a cluster slot):
 * - `<prefix>:polite:{host}` hash: `next` (next free request slot), `pauseUntil`, `pauseReason`,
 *   `state` (`closed` | `open` | `half-open`), `openUntil`, `fails` (consecutive transient
 *   failures), `trips` (consecutive breaker trips), `probe` / `probeUntil` (the half-open probe
 *   lease), `laterNext` (the virtual queue of put-off requests).
 * - `<prefix>:polite:{host}:leases` sorted set: member = lease id, score = lease expiry.
 * - `<prefix>:polite:hosts` sorted set of every host seen, scored by last activity (ms), for metrics.
 * Per-host keys expire after a day without activity.
 */
import type { Redis } from 'ioredis';

/** Shared by every script. KEYS: [hash, leases, registry]. */
const PRELUDE = `
local H, L, R = KEYS[1], KEYS[2], KEYS[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function fmt(x) return string.format('%.0f', x) end
local function numf(f) return tonumber(redis.call('HGET', H, f) or '0') or 0 end
-- An open breaker whose time is up counts as half-open.
local function breaker()
  local s = redis.call('HGET', H, 'state') or 'closed'
  if s == 'open' and numf('openUntil') <= now then return 'half-open' end
  return s
end
-- Lapsed leases (their worker died) free their slots here.
local function purge() redis.call('ZREMRANGEBYSCORE', L, '-inf', fmt(now)) end
-- Nil when a lease is free, else microseconds until the earliest lease lapses.
local function leaseBusy(maxc)
  purge()
  if redis.call('ZCARD', L) < maxc then return nil end
  local first = redis.call('ZRANGE', L, 0, 0, 'WITHSCORES')
  return tonumber(first[2]) - now
end
-- Microseconds from now to the host's next free request slot.
local function slotWait() return math.max(now, numf('next')) - now end
local function takeSlot(wait, interval) redis.call('HSET', H, 'next', fmt(now + wait + interval)) end
local function touch(keepMs, host)
  redis.call('PEXPIRE', H, keepMs)
  if redis.call('EXISTS', L) == 1 then redis.call('PEXPIRE', L, keepMs) end
  redis.call('ZADD', R, math.floor(now / 1000), host)
end
`;

/**
 * The whole gate decision. ARGV: intervalUs, maxWaitUs, maxConcurrent, leaseUs, leaseId, keepMs,
 * host, maxLaterUs, final ('0' while the caller will poll again for a lease). Returns `{'go', waitUs, probe}` (slot and lease taken) or
 * `{'later', reason, delayUs}` (nothing taken).
 *
 * Put-offs for rate or concurrency are spread along a virtual queue (`laterNext`, one interval
 * apart, at most maxLaterUs ahead), so a backlog of jobs for a busy host comes back at about the
 * pace the host can take them instead of all at once, again and again. It is only an estimate:
 * no slot is reserved, and whoever asks when a slot is free gets it.
 */
const ENTER = `${PRELUDE}
local interval, maxWait, maxc, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local leaseId = ARGV[5]
local pauseUntil = numf('pauseUntil')
if pauseUntil > now then return {'later', 'paused', fmt(pauseUntil - now)} end
local state = breaker()
if state == 'open' then return {'later', 'breaker-open', fmt(numf('openUntil') - now)} end
local probe = 0
if state == 'half-open' then
  local probeUntil = numf('probeUntil')
  if probeUntil > now then return {'later', 'breaker-open', fmt(probeUntil - now)} end
  probe = 1
end
local function queueLater(reason, base)
  local v = math.min(math.max(now + base, numf('laterNext')), now + tonumber(ARGV[8]))
  redis.call('HSET', H, 'laterNext', fmt(v + interval))
  touch(ARGV[6], ARGV[7])
  return {'later', reason, fmt(v - now)}
end
local busy = leaseBusy(maxc)
if busy then
  -- While the caller still polls (ARGV[9] = '0') it is not put off yet: don't queue it.
  if ARGV[9] == '0' then return {'later', 'concurrency', fmt(busy)} end
  return queueLater('concurrency', math.min(busy, interval))
end
local wait = slotWait()
if wait > maxWait then return queueLater('rate', wait - maxWait) end
takeSlot(wait, interval)
local expires = now + wait + lease
redis.call('ZADD', L, fmt(expires), leaseId)
if probe == 1 then
  redis.call('HSET', H, 'state', 'half-open', 'probe', leaseId, 'probeUntil', fmt(expires))
end
touch(ARGV[6], ARGV[7])
return {'go', fmt(wait), tostring(probe)}
`;

/** Rate only. ARGV: intervalUs, maxWaitUs, keepMs, host. `{'go', waitUs}` or `{'later', 'rate', waitUs}`. */
const RESERVE = `${PRELUDE}
local wait = slotWait()
if wait > tonumber(ARGV[2]) then return {'later', 'rate', fmt(wait)} end
takeSlot(wait, tonumber(ARGV[1]))
touch(ARGV[3], ARGV[4])
return {'go', fmt(wait)}
`;

/** Concurrency only. ARGV: maxConcurrent, leaseUs, leaseId, keepMs, host. */
const ACQUIRE = `${PRELUDE}
local busy = leaseBusy(tonumber(ARGV[1]))
if busy then return {'later', 'concurrency', fmt(busy)} end
redis.call('ZADD', L, fmt(now + tonumber(ARGV[2])), ARGV[3])
touch(ARGV[4], ARGV[5])
return {'go', '0'}
`;

/** Heartbeat: pushes a live lease's expiry to now + leaseUs. ARGV: leaseId, leaseUs. 1 = extended, 0 = lapsed. */
const EXTEND = `${PRELUDE}
local score = redis.call('ZSCORE', L, ARGV[1])
if not score or tonumber(score) <= now then return 0 end
local expires = now + tonumber(ARGV[2])
if expires <= tonumber(score) then return 1 end
redis.call('ZADD', L, fmt(expires), ARGV[1])
if redis.call('HGET', H, 'probe') == ARGV[1] then redis.call('HSET', H, 'probeUntil', fmt(expires)) end
return 1
`;

/**
 * Releases a lease (if any) and records an outcome. ARGV: leaseId ('' = none), outcome
 * (`ok` | `transient` | `pause` | `neutral`), pauseUs, pauseReason, failureThreshold, cooldownUs,
 * maxCooldownUs, keepMs, host. With a lease, only the half-open probe's outcome decides the
 * breaker (stragglers that entered before it opened don't); without one, the outcome always counts.
 * Returns `{state, openUntilUs, pauseUntilUs}` after the change.
 */
const LEAVE = `${PRELUDE}
local leaseId, outcome = ARGV[1], ARGV[2]
if leaseId ~= '' then redis.call('ZREM', L, leaseId) end
local state = breaker()
local isProbe = leaseId ~= '' and redis.call('HGET', H, 'probe') == leaseId
if isProbe then redis.call('HDEL', H, 'probe', 'probeUntil') end
local decides = leaseId == '' or isProbe
local function trip()
  local trips = redis.call('HINCRBY', H, 'trips', 1)
  local cooldown = math.min(tonumber(ARGV[6]) * 2 ^ (trips - 1), tonumber(ARGV[7]))
  redis.call('HSET', H, 'state', 'open', 'openUntil', fmt(now + cooldown), 'fails', '0')
  redis.call('HDEL', H, 'probe', 'probeUntil')
end
if outcome == 'ok' then
  if state == 'closed' then
    redis.call('HSET', H, 'fails', '0')
  elseif state == 'half-open' and decides then
    redis.call('HSET', H, 'state', 'closed', 'fails', '0', 'trips', '0')
    redis.call('HDEL', H, 'openUntil', 'probe', 'probeUntil')
  end
elseif outcome == 'transient' then
  if state == 'closed' then
    if redis.call('HINCRBY', H, 'fails', 1) >= tonumber(ARGV[5]) then trip() end
  elseif state == 'half-open' and decides then
    trip()
  end
elseif outcome == 'pause' then
  local untilUs = now + tonumber(ARGV[3])
  if untilUs > numf('pauseUntil') then
    redis.call('HSET', H, 'pauseUntil', fmt(untilUs), 'pauseReason', ARGV[4])
  end
end
touch(ARGV[8], ARGV[9])
return {breaker(), fmt(numf('openUntil')), fmt(numf('pauseUntil'))}
`;

/** A host's keys, in the order every script takes them: [hash, leases, registry]. */
export function hostKeys(prefix: string, host: string): [string, string, string] {
  const base = `${prefix}:polite:{${host}}`;
  return [base, `${base}:leases`, `${prefix}:polite:hosts`];
}

const SCRIPTS = {
  spiderwebPoliteEnter: ENTER,
  spiderwebPoliteReserve: RESERVE,
  spiderwebPoliteAcquire: ACQUIRE,
  spiderwebPoliteExtend: EXTEND,
  spiderwebPoliteLeave: LEAVE,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

type ScriptFn = (...keysAndArgs: string[]) => Promise<unknown>;

const defined = new WeakSet<Redis>();

/**
 * Runs one of the scripts on `redis` (registered once per connection with `defineCommand`, so
 * it is sent by SHA and reloaded transparently after a `SCRIPT FLUSH` or a failover).
 * `keys` are always [hash, leases, registry].
 */
export async function runScript(
  redis: Redis,
  name: ScriptName,
  keys: readonly [string, string, string],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (!defined.has(redis)) {
    for (const [command, lua] of Object.entries(SCRIPTS))
      redis.defineCommand(command, { numberOfKeys: 3, lua });
    defined.add(redis);
  }
  const fn = (redis as unknown as Record<ScriptName, ScriptFn>)[name];
  return fn.call(redis, ...keys, ...args.map(String));
}
