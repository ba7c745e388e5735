-- Resume a paused sitting: the deadline moves on by the paused duration and the sitting goes
-- back into the deadline set at its new time.
-- KEYS: session, deadlines
-- ARGV: sitting id
-- Reply: {'resumed' | 'not_paused' | state, deadline ms, paused duration ms}
local s = redis.call('HMGET', KEYS[1], 'state', 'deadline', 'grace', 'paused')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not s[1] then return {'no_session', 0, 0} end
if not s[4] then
  if s[1] == 'active' then return {'not_paused', tonumber(s[2]), 0} end
  return {s[1], tonumber(s[2]), 0}
end
local paused_for = math.max(0, now - tonumber(s[4]))
local deadline = tonumber(s[2]) + paused_for
redis.call('HSET', KEYS[1], 'deadline', deadline)
redis.call('HDEL', KEYS[1], 'paused')
redis.call('HINCRBY', KEYS[1], 'paused_ms', paused_for)
if s[1] ~= 'active' then return {s[1], deadline, paused_for} end
redis.call('ZADD', KEYS[2], deadline + tonumber(s[3]), ARGV[1])
return {'resumed', deadline, paused_for}
