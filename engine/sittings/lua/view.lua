-- A sitting's session fields, the server clock and (optionally) its latest answers, in one
-- call on one slot (a pipeline with TIME cannot be routed on Redis Cluster: TIME has no key).
-- KEYS: session, answers
-- ARGV: '1' to include the answers
local s = redis.call('HMGET', KEYS[1], 'state', 'exam', 'student', 'deadline', 'last_seq')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not s[1] then return {false} end
local reply = {s[1], s[2], s[3], s[4], s[5], now}
if ARGV[1] == '1' then
  local answers = redis.call('HGETALL', KEYS[2])
  for i = 1, #answers do reply[6 + i] = answers[i] end
end
return reply
