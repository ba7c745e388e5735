-- Grant extra time to an active sitting: the deadline (and its place in the deadline set, unless
-- the sitting is paused and out of the set) moves on by the given milliseconds.
-- KEYS: session, deadlines
-- ARGV: sitting id, extra ms
-- Reply: {status, deadline ms, paused (1/0)}
local s = redis.call('HMGET', KEYS[1], 'state', 'deadline', 'grace', 'paused')
if not s[1] then return {'no_session', 0, 0} end
if s[1] ~= 'active' then return {s[1], tonumber(s[2]), 0} end
local deadline = tonumber(s[2]) + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'deadline', deadline)
redis.call('HINCRBY', KEYS[1], 'extra_ms', tonumber(ARGV[2]))
if not s[4] then
  redis.call('ZADD', KEYS[2], deadline + tonumber(s[3]), ARGV[1])
  return {'active', deadline, 0}
end
return {'active', deadline, 1}
