-- The page's conversation in one call on one slot: the sitting's owner and state, the clock
-- (a heartbeat also marks the page seen), and the telemetry batch the request carries: the
-- sitting's rate window, the page's admission (duplicates, clocks, its token bucket: the
-- rules of proctoring.telemetry.admit, step for step) and the one XADD. Every key carries the
-- shard's hash tag.
-- KEYS: 1 session (named alone when no batch follows), 2 ingest state hash (page session ->
--   msgpack IngestState), 3 the sitting's telemetry rate window (a counter), 4 the shard's
--   integrity stream.
-- ARGV: 1 mode: 'heartbeat' (marks the seat seen; a submitted sitting answers its state and
--   takes no telemetry) or 'ingest' (a submitted sitting refuses the batch: 'closed');
--   2 student id; 3 the caller's device id ('' checks nothing); 4 '1' when a batch follows,
--   else nothing more. The batch: 5 page session, 6 batch_seq, 7 sent_at, 8 its event count
--   (what the rate window counts), 9 window limit, 10 window s, 11 page events per minute,
--   12 page burst, 13 state TTL s; the entry's msgpack (engine/integrity/stream.py) in pieces
--   around what only this script knows: 14 up to its key 'version', 15 from its key 'session'
--   to its key 'received_ms', 16 its key 'events'; 17/18 the observed address event around
--   its ts; 19 events dropped before this call (stamped after sent_at or too old); then per
--   remaining event, in time order: its page ts, its msgpack before and after the ts.
-- Reply: {status, state, exam, deadline, now, paused_at, grace, replaced, telemetry, accepted,
--   dropped_rate, dropped_clock, retry_after_s, last_seq}; status 'ok', 'no_session' or 'forbidden'
--   (nothing else then); telemetry 'none' (no batch, or a submitted sitting's heartbeat),
--   'ok', 'duplicate', 'closed', 'rate_limited' (the sitting's window: retry_after_s) or
--   'page_rate_limited' (every event over the page's bucket: nothing stored); last_seq: the
--   answer events stored (the page puts back what it heard acknowledged and the server no
--   longer holds, even with nothing to send).
local s = redis.call('HMGET', KEYS[1], 'state', 'exam', 'student', 'deadline', 'paused', 'grace',
  'device', 'last_seq')
if not s[1] then return {'no_session'} end
if s[3] ~= ARGV[2] then return {'forbidden'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = s[1]
local paused_at = 0
if s[5] and state == 'active' then
  state = 'paused'
  paused_at = tonumber(s[5])
end
local replaced = 0
if s[7] and ARGV[3] ~= '' and ARGV[3] ~= s[7] then replaced = 1 end
local heartbeat = ARGV[1] == 'heartbeat'
if heartbeat and s[1] == 'active' and replaced == 0 then
  redis.call('HSET', KEYS[1], 'seen', now)
end
local reply = {'ok', state, s[2], tonumber(s[4] or '0'), now, paused_at, tonumber(s[6] or '0'),
  replaced}
local function outcome(kind, accepted, rate, clock, retry)
  reply[9], reply[10], reply[11], reply[12], reply[13] = kind, accepted, rate, clock, retry
  reply[14] = tonumber(s[8] or '0')
  return reply
end
if ARGV[4] ~= '1' then return outcome('none', 0, 0, 0, 0) end
if s[1] ~= 'active' then return outcome(heartbeat and 'none' or 'closed', 0, 0, 0, 0) end
-- the sitting's window: every event sent counts, a duplicate's too (a page inventing new
-- session ids to dodge its bucket still meets it)
local sent = tonumber(ARGV[8])
local used = redis.call('INCRBY', KEYS[3], sent)
if used == sent then redis.call('EXPIRE', KEYS[3], ARGV[10]) end
if used > tonumber(ARGV[9]) then
  local ttl = redis.call('PTTL', KEYS[3])
  return outcome('rate_limited', 0, 0, 0, math.max(1, math.ceil(ttl / 1000)))
end
local session, seq, sent_at = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local raw = redis.call('HGET', KEYS[2], session)
local last_seq, tokens, refilled_at, last = -1, -1, 0, 0
if raw then
  local st = cmsgpack.unpack(raw)
  last_seq, tokens = st.last_batch_seq, st.tokens
  refilled_at, last = st.refilled_at, st.last_server_ts
end
if seq <= last_seq then return outcome('duplicate', 0, 0, 0, 0) end
local per_minute, burst = tonumber(ARGV[11]), tonumber(ARGV[12])
local elapsed = 0
if tokens >= 0 then elapsed = math.max(0, now - refilled_at) else tokens = burst end
tokens = math.min(burst, tokens + elapsed * per_minute / 60000.0)
local offset = now - sent_at
local kept = {}
local dropped_clock, dropped_rate = tonumber(ARGV[19]), 0
for i = 20, #ARGV, 3 do
  local server_ts = tonumber(ARGV[i]) + offset
  if server_ts < last then
    dropped_clock = dropped_clock + 1
  elseif tokens < 1.0 then
    dropped_rate = dropped_rate + 1
  else
    tokens = tokens - 1.0
    kept[#kept + 1] = ARGV[i + 1] .. cmsgpack.pack(server_ts) .. ARGV[i + 2]
    last = server_ts
  end
end
-- nothing kept for the rate: the state stays as it was, so the batch may come again
if #kept == 0 and dropped_rate > 0 then return outcome('page_rate_limited', 0, 0, 0, 0) end
redis.call('HSET', KEYS[2], session, cmsgpack.pack({last_batch_seq = seq, tokens = tokens,
  refilled_at = now, last_server_ts = last}))
redis.call('EXPIRE', KEYS[2], ARGV[13])
kept[#kept + 1] = ARGV[17] .. cmsgpack.pack(now) .. ARGV[18]
local n = #kept
local header = n < 16 and string.char(0x90 + n) or string.char(0xdc, math.floor(n / 256), n % 256)
redis.call('XADD', KEYS[4], '*', 'k', 't',
  'm', ARGV[14] .. cmsgpack.pack(s[2]) .. ARGV[15] .. cmsgpack.pack(now) .. ARGV[16] .. header
    .. table.concat(kept))
return outcome('ok', #kept - 1, dropped_rate, dropped_clock, 0)
