"""The Lua scripts that pace one token in Redis, and the arguments they take.

Each acquire and each release is one script call, so a decision is atomic across processes and
costs one round trip. Times are Redis's own (``TIME``), in milliseconds: the clocks of the
processes never meet. The rules are those of :class:`webwork_async._ratelimit.RateLimiter`, with
keys for its fields (all under one hash tag, so that a Redis Cluster keeps them in one slot):

- ``:slots`` (ZSET) request id -> when its slot comes back (one period and a margin after the
  exchange ended); also ``pause:``, ``held:`` and ``carry:`` members for slots the answers said
  were used (by a 429, ``Remaining``, or a process that paced on its own during an outage).
- ``:flight`` (ZSET) request id -> when its lease ends; a lapsed lease (its process died) is
  taken as an exchange that ended then.
- ``:rates`` (ZSET) ``"requests/period_ms"`` -> when a process last asked at that rate; the
  strictest one asked for within a few of its periods paces everyone.
- ``:state`` (HASH) ``paused_until`` (after a 429) and ``announced`` (a lower
  ``X-RateLimit-Limit``).

Every call sets the keys' expiry anew, so a token nobody uses leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from webwork_async import _constants as defaults
from webwork_async._ratelimit import RateLimit, RateLimitHeaders

__all__ = [
    "ACQUIRE",
    "KEY_NAMES",
    "NO_CARRY",
    "RELEASE",
    "UNLOCK",
    "Carry",
    "acquire_args",
    "keys_of",
    "release_args",
]

#: The names of one token's keys, in the order the scripts take them.
KEY_NAMES = ("slots", "flight", "rates", "state")

_PRELUDE = """
if redis.replicate_commands then redis.replicate_commands() end
local slots, flight, rates, state = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000

local function touch(ttl)
  for _, name in ipairs(KEYS) do redis.call('PEXPIRE', name, ttl) end
end

-- The strictest rate asked for within `stale` of its own periods; older ones are dropped.
local function strictest(stale)
  local best_requests, best_period
  local seen = redis.call('ZRANGE', rates, 0, -1, 'WITHSCORES')
  for i = 1, #seen, 2 do
    local member, at = seen[i], tonumber(seen[i + 1])
    local slash = string.find(member, '/', 1, true)
    local requests = slash and tonumber(string.sub(member, 1, slash - 1))
    local period = slash and tonumber(string.sub(member, slash + 1))
    if not requests or not period or requests < 1 or period <= 0
        or now - at > stale * period then
      redis.call('ZREM', rates, member)
    elseif not best_requests or requests * best_period < best_requests * period
        or (requests * best_period == best_requests * period and requests < best_requests) then
      best_requests, best_period = requests, period
    end
  end
  return best_requests, best_period
end

local function capacity_of(requests)
  if not requests then return nil end
  local announced = tonumber(redis.call('HGET', state, 'announced'))
  if announced and announced < requests then return announced end
  return requests
end

-- Slots in use: those not yet back, and those of requests in flight.
local function in_use()
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
  return redis.call('ZCARD', slots) + redis.call('ZCARD', flight)
end

local function paused_until()
  return tonumber(redis.call('HGET', state, 'paused_until')) or 0
end

-- Hold every request back until `till`; then the slots not known to be used come back spread
-- over one period (the service's window was full when it refused).
local function pause(till, capacity, period, id)
  if till > paused_until() then redis.call('HSET', state, 'paused_until', till) end
  if capacity then
    local unknown = capacity - in_use()
    for i = 1, unknown do
      redis.call('ZADD', slots, till + period * i / unknown, 'pause:' .. id .. ':' .. i)
    end
  end
end
"""

#: KEYS: slots, flight, rates, state. ARGV: request id, requests (0: unpaced), period ms,
#: lease ms, margin (fraction of the period), stale periods, idle TTL ms, then what this process
#: learnt while Redis was unreachable: pause left ms (0: none), requests in flight, and the ms
#: from now at which each slot it used comes back. Returns the ms to wait, "0" when granted.
ACQUIRE = (
    _PRELUDE
    + """
local id = ARGV[1]
local requests = tonumber(ARGV[2])
local lease, margin_ratio = tonumber(ARGV[4]), tonumber(ARGV[5])
local stale, ttl = tonumber(ARGV[6]), ARGV[7]
if requests > 0 then redis.call('ZADD', rates, now, ARGV[2] .. '/' .. ARGV[3]) end
local carried_pause = tonumber(ARGV[8])
if carried_pause > 0 then pause(now + carried_pause, nil, nil, id) end
for i = 1, tonumber(ARGV[9]) do
  redis.call('ZADD', flight, now + lease, 'carry:' .. id .. ':f' .. i)
end
for i = 10, #ARGV do
  redis.call('ZADD', slots, now + tonumber(ARGV[i]), 'carry:' .. id .. ':s' .. i)
end
local paused = paused_until()
if paused > now then
  touch(ttl)
  return tostring(paused - now)
end
local best_requests, period = strictest(stale)
local margin = period and period * margin_ratio
-- A lease that lapsed is an exchange that ended when the lease did.
local lapsed = redis.call('ZRANGEBYSCORE', flight, '-inf', now, 'WITHSCORES')
for i = 1, #lapsed, 2 do
  redis.call('ZREM', flight, lapsed[i])
  if period then
    redis.call('ZADD', slots, tonumber(lapsed[i + 1]) + period + margin, lapsed[i])
  end
end
local used = in_use()
local capacity = capacity_of(best_requests)
if requests > 0 and capacity and used >= capacity then
  -- A slot in flight comes back a period after its release, at the earliest a period from now.
  local soonest = now + period + margin
  local first = redis.call('ZRANGE', slots, 0, 0, 'WITHSCORES')
  if first[2] and tonumber(first[2]) < soonest then soonest = tonumber(first[2]) end
  touch(ttl)
  return tostring(soonest - now)
end
redis.call('ZADD', flight, now + lease, id)
touch(ttl)
return '0'
"""
)

#: KEYS: slots, flight, rates, state. ARGV: request id, its period ms (0: unpaced), margin,
#: stale periods, idle TTL ms, status, X-RateLimit-Limit, X-RateLimit-Remaining, reset after ms,
#: Retry-After ms (-1 for each one absent), the pause ms of a 429 that said none. Returns 1.
RELEASE = (
    _PRELUDE
    + """
local id = ARGV[1]
local own_period, margin_ratio = tonumber(ARGV[2]), tonumber(ARGV[3])
local stale, ttl = tonumber(ARGV[4]), ARGV[5]
local status, limit, remaining = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local reset_after, retry_after, backoff = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
redis.call('ZREM', flight, id)
-- The slot is held for the period the capacity is counted over: the strictest live one's.
local best_requests, period = strictest(stale)
if not period and own_period > 0 then period = own_period end
local margin = period and period * margin_ratio or 0
if period then redis.call('ZADD', slots, now + period + margin, id) end
local capacity = capacity_of(best_requests)
if capacity and limit >= 0 and limit < capacity then
  redis.call('HSET', state, 'announced', limit)
  capacity = limit
end
if status == 429 then
  local wait = retry_after
  if wait < 0 then wait = reset_after end
  if wait < 0 then wait = backoff end
  pause(now + wait, capacity, period, id)
elseif remaining >= 0 then
  if not capacity then
    if remaining == 0 and reset_after >= 0 then pause(now + reset_after, nil, nil, id) end
  else
    -- Never believe in more free slots than the service says remain.
    local surplus = capacity - in_use() - remaining
    local back = now + margin
    if reset_after >= 0 then back = back + reset_after else back = back + period end
    for i = 1, surplus do redis.call('ZADD', slots, back, 'held:' .. id .. ':' .. i) end
  end
end
touch(ttl)
return 1
"""
)

#: KEYS: the lock. ARGV: the value its holder set. Deletes the lock only if it is still theirs.
UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Carry:
    """What a process learnt while it paced on its own, told to Redis when it is back: the
    seconds its pause has left, the ids of its requests in flight, and when each slot it used
    comes back (``returns``, on the clock whose present is ``now``)."""

    pause: float = 0.0
    in_flight: frozenset[str] = frozenset()
    returns: tuple[float, ...] = ()
    now: float = 0.0


NO_CARRY = Carry()


def keys_of(prefix: str, key: str) -> list[str]:
    """The Redis keys of one token, in the scripts' order: ``{prefix}{{{key}}}:<name>``."""
    return [f"{prefix}{{{key}}}:{name}" for name in KEY_NAMES]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.15g}"


def _number(value: float | None) -> str:
    """A header's value in ms for a script, -1 when absent."""
    return "-1" if value is None else _ms(value)


def acquire_args(
    request_id: str, rate: RateLimit | None, lease: float, carry: Carry = NO_CARRY
) -> list[str]:
    """The ARGV of :data:`ACQUIRE` for a request of a session asking for ``rate``."""
    args = [
        request_id,
        "0" if rate is None else str(rate.requests),
        "0" if rate is None else _ms(rate.period),
        _ms(lease),
        f"{defaults.RATE_LIMIT_MARGIN:.15g}",
        str(defaults.REDIS_RATE_STALE_PERIODS),
        str(round(defaults.REDIS_IDLE_TTL * 1000)),
        _ms(max(0.0, carry.pause)),
        str(len(carry.in_flight)),
    ]
    args.extend(_ms(max(0.0, back - carry.now)) for back in carry.returns)
    return args


def release_args(
    request_id: str, rate: RateLimit | None, status: int | None, info: RateLimitHeaders | None
) -> list[str]:
    """The ARGV of :data:`RELEASE` for the end of the exchange of ``request_id``."""
    info = info or RateLimitHeaders()
    return [
        request_id,
        "0" if rate is None else _ms(rate.period),
        f"{defaults.RATE_LIMIT_MARGIN:.15g}",
        str(defaults.REDIS_RATE_STALE_PERIODS),
        str(round(defaults.REDIS_IDLE_TTL * 1000)),
        "-1" if status is None else str(status),
        "-1" if info.limit is None else str(info.limit),
        "-1" if info.remaining is None else str(info.remaining),
        _number(info.reset_after),
        _number(info.retry_after),
        _ms(defaults.RETRY_BACKOFF),
    ]
