-- Create a sitting's session once; a second call returns the first one unchanged.
-- KEYS: session, deadlines
-- ARGV: sitting id, exam version id, student id, time limit ms, extra ms, window open ms,
--       window close ms, grace ms, known started ms (0 if none), known deadline ms (0 if none)
local existing = redis.call('HMGET', KEYS[1], 'state', 'started', 'deadline')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if existing[1] then
  return {existing[1], tonumber(existing[2]), tonumber(existing[3]), now}
end
local started = tonumber(ARGV[9])
local deadline = tonumber(ARGV[10])
if started == 0 then
  if now < tonumber(ARGV[6]) then return {'exam_not_open', 0, 0, now} end
  if now >= tonumber(ARGV[7]) then return {'exam_closed', 0, 0, now} end
  started = now
  -- the deadline is the earlier of the student's time limit and the window's close
  deadline = math.min(now + tonumber(ARGV[4]) + tonumber(ARGV[5]), tonumber(ARGV[7]))
end
redis.call('HSET', KEYS[1], 'state', 'active', 'exam', ARGV[2], 'student', ARGV[3],
  'started', started, 'deadline', deadline, 'grace', ARGV[8], 'last_seq', 0)
redis.call('ZADD', KEYS[2], deadline + tonumber(ARGV[8]), ARGV[1])
return {'active', started, deadline, now}
