-- The page's heartbeat: the sitting's clock as the page shows it, and a mark that the page is
-- there (the proctor's room and the live progress count a sitting as online by 'seen'), in
-- one call on one slot. Only the sitting's own student's heartbeat marks it; a page on a
-- device that lost the sitting's lock (another device took it over) is told so, and does not
-- count as the sitting being online.
-- KEYS: session
-- ARGV: student id, the caller's device id ('' checks nothing)
-- Reply: {status, state, exam, deadline, now, paused_at, grace, replaced, last_seq}; status 'ok',
-- 'no_session' or 'forbidden' (another student's sitting: nothing else is returned); state
-- 'paused' while a proctor has the clock stopped (paused_at: since when, else 0); replaced 1
-- when the caller's device no longer holds the sitting; last_seq: the answer events stored
-- (the page puts back what it had heard acknowledged and the server no longer holds, even
-- with nothing to send).
local s = redis.call('HMGET', KEYS[1], 'state', 'exam', 'student', 'deadline', 'paused', 'grace',
  'device', 'last_seq')
if not s[1] then return {'no_session'} end
if s[3] ~= ARGV[1] then return {'forbidden'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = s[1]
local paused_at = 0
if s[5] and state == 'active' then
  state = 'paused'
  paused_at = tonumber(s[5])
end
local replaced = 0
if s[7] and ARGV[2] ~= '' and ARGV[2] ~= s[7] then replaced = 1 end
if s[1] == 'active' and replaced == 0 then redis.call('HSET', KEYS[1], 'seen', now) end
return {'ok', state, s[2], tonumber(s[4] or '0'), now, paused_at, tonumber(s[6] or '0'), replaced,
  tonumber(s[8] or '0')}
