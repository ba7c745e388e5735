-- Submit a sitting (by its student, or by the sweeper at deadline + grace) and queue grading.
-- KEYS: session, deadlines, grading stream
-- ARGV: sitting id, student id ('' for the sweeper), reason ('student' | 'deadline')
-- Reply: {state, submitted at (ms), 1 when this call submitted it}
local s = redis.call('HMGET', KEYS[1], 'state', 'student', 'deadline', 'grace')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not s[1] then return {'no_session', 0} end
if ARGV[2] ~= '' and s[2] ~= ARGV[2] then return {'forbidden', 0} end
if s[1] ~= 'active' then return {s[1], tonumber(redis.call('HGET', KEYS[1], 'submitted') or 0), 0} end
if ARGV[3] == 'deadline' and now < tonumber(s[3]) + tonumber(s[4]) then
  return {'not_due', 0}
end
-- a sitting submitted by the sweeper ends at its deadline, not when the sweeper got to it
local at = now
if ARGV[3] == 'deadline' then at = math.min(now, tonumber(s[3])) end
redis.call('HSET', KEYS[1], 'state', 'submitted', 'submitted', at, 'submitted_by', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 's', ARGV[1])
return {'submitted', at, 1}
