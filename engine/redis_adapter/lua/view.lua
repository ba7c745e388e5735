-- A sitting's session fields, the server clock and (optionally) its latest answers, in one
-- call on one slot (a pipeline with TIME cannot be routed on Redis Cluster: TIME has no key).
-- While a proctor has the sitting paused its clock stands still: the reply's state is
-- 'paused' and its last field is the instant the pause began (0 when not paused).
-- KEYS: session, answers
-- ARGV: '1' to include the answers
-- Reply: {state, exam, student, deadline, last_seq, now, paused_at, furthest, grace, answer
-- field/value ...}; grace: the ms after the deadline answers are still taken; furthest: on a linear paper, the furthest place in the student's order an
-- answer reached (-1: none yet), kept by answer.lua
local s = redis.call('HMGET', KEYS[1], 'state', 'exam', 'student', 'deadline', 'last_seq',
  'paused', 'furthest', 'grace')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not s[1] then return {false} end
local state = s[1]
local paused_at = 0
if s[6] and state == 'active' then
  state = 'paused'
  paused_at = tonumber(s[6])
end
local reply = {state, s[2], s[3], s[4], s[5], now, paused_at, tonumber(s[7] or '-1'),
  tonumber(s[8] or '0')}
if ARGV[1] == '1' then
  local answers = redis.call('HGETALL', KEYS[2])
  for i = 1, #answers do reply[9 + i] = answers[i] end
end
return reply
