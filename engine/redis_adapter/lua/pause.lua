-- Pause a sitting (proctor action): the clock stops until resume.lua moves the deadline on by
-- the time spent paused. The sitting leaves the deadline set so the sweeper leaves it alone.
-- KEYS: session, deadlines
-- ARGV: sitting id
-- Reply: {status, deadline ms, paused-since ms}
local s = redis.call('HMGET', KEYS[1], 'state', 'deadline', 'grace', 'paused')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not s[1] then return {'no_session', 0, 0} end
if s[1] ~= 'active' then return {s[1], tonumber(s[2]), 0} end
if s[4] then return {'already_paused', tonumber(s[2]), tonumber(s[4])} end
-- past deadline + grace the sweeper may already hold it: too late to stop the clock
if now > tonumber(s[2]) + tonumber(s[3]) then return {'time_expired', tonumber(s[2]), 0} end
redis.call('HSET', KEYS[1], 'paused', now)
redis.call('ZREM', KEYS[2], ARGV[1])
return {'paused', tonumber(s[2]), now}
