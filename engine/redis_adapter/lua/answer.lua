-- Store a batch of answer events of one sitting: one call, one slot.
-- KEYS: session, answers, stream
-- ARGV: 1 sitting id, 2 student id, 3 event count n, 4 the caller's device id ('' checks
--   nothing), 5 the bytes of the events' JSON, 6-9 the sitting's write budget: events per minute, events
--   burst, bytes per minute, bytes burst (0 events per minute: no budget), 10 '1' when the
--   paper's navigation is linear; then per event, sorted by seq: seq, item id, the event's JSON
--   (its record in the answer stream), the item's latest-answer value (kept in the answers
--   hash: engine/sittings/latest.py); then, on a linear paper only, per event in the same
--   order: its item's place in the student's order.
-- A seq at or below the last stored one is a duplicate (acknowledged, not stored twice); a gap
-- stops the batch so that "acked_seq" always means "this and everything before it is stored".
-- The events stored go into the shard's answer stream as one entry (engine/sittings/answer_stream.py).
-- A paused sitting (proctor action) or a device other than the one holding the sitting's lock
-- stores nothing. Neither does a batch over the write budget, nor one that goes back on a
-- linear paper: every check is made before the first write, so a refused batch changes nothing.
local s = redis.call('HMGET', KEYS[1], 'state', 'deadline', 'grace', 'last_seq', 'student', 'exam',
  'paused', 'device', 'budget_at', 'budget_events', 'budget_bytes', 'furthest')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not s[1] then return {'no_session', 0, 0} end
if s[5] ~= ARGV[2] then return {'forbidden', 0, 0} end
local last = tonumber(s[4])
local remaining = tonumber(s[2]) - now
if s[1] ~= 'active' then return {'sitting_submitted', last, remaining} end
local n = tonumber(ARGV[3])
local device = ARGV[4]
if s[8] and device ~= '' and device ~= s[8] then
  return {'device_replaced', last, remaining}
end
if s[7] then return {'sitting_paused', last, tonumber(s[2]) - tonumber(s[7])} end
if now > tonumber(s[2]) + tonumber(s[3]) then return {'time_expired', last, remaining} end
-- the write budget: two token buckets (events, bytes) refilled at their rate up to their burst;
-- a new sitting starts full. Every event of the batch counts, a resent one too.
local session = {'last_seq', 0, 'seen', now}
local ev_rate = tonumber(ARGV[6])
if ev_rate > 0 then
  local ev_burst, by_rate, by_burst = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
  local ev, by = ev_burst, by_burst
  if s[9] then
    local elapsed = math.max(0, now - tonumber(s[9]))
    ev = math.min(ev_burst, tonumber(s[10]) + elapsed * ev_rate / 60000)
    by = math.min(by_burst, tonumber(s[11]) + elapsed * by_rate / 60000)
  end
  -- a batch larger than a whole burst needs a full bucket (else it could never pass)
  local need_ev, need_by = math.min(n, ev_burst), math.min(tonumber(ARGV[5]), by_burst)
  if ev < need_ev or by < need_by then
    local wait = math.max((need_ev - ev) * 60000 / ev_rate, (need_by - by) * 60000 / by_rate)
    return {'rate_limited', last, remaining, math.ceil(wait)}
  end
  table.insert(session, 'budget_at')
  table.insert(session, now)
  table.insert(session, 'budget_events')
  table.insert(session, tostring(ev - need_ev))
  table.insert(session, 'budget_bytes')
  table.insert(session, tostring(by - need_by))
end
-- latest: item, value pairs for one HSET (one command and one AOF record for the batch; an
-- item answered twice in a batch keeps its later value, as one HSET per event would)
local linear = ARGV[10] == '1'
local furthest = tonumber(s[12] or '-1')
local latest, stored = {}, {}
local acked = last
for i = 0, n - 1 do
  local at = 10 + i * 4
  local seq = tonumber(ARGV[at + 1])
  if seq == acked + 1 then
    if linear then
      -- the furthest item reached so far (stored events, in seq order): never back before it
      local place = tonumber(ARGV[11 + n * 4 + i])
      if place < furthest then return {'navigation_linear', last, remaining, seq, furthest} end
      furthest = place
    end
    latest[#latest + 1] = ARGV[at + 2]
    latest[#latest + 1] = ARGV[at + 4]
    stored[#stored + 1] = ARGV[at + 3]
    acked = seq
  elseif seq > acked + 1 then
    break
  end
end
if #stored > 0 then
  redis.call('HSET', KEYS[2], unpack(latest))
  redis.call('XADD', KEYS[3], '*', 's', ARGV[1], 'x', s[6], 't', now,
    'e', '[' .. table.concat(stored, ',') .. ']')
  if linear then
    table.insert(session, 'furthest')
    table.insert(session, furthest)
  end
end
session[2] = acked
redis.call('HSET', KEYS[1], unpack(session))
return {'ok', acked, remaining}
