-- Store a batch of answer events of one sitting: one call, one slot.
-- KEYS: session, answers, stream
-- ARGV: sitting id, student id, event count, then per event: seq, item id and the event's JSON
-- (kept as the item's latest answer, and its record in the answer stream)
-- Events arrive sorted by seq. A seq at or below the last stored one is a duplicate
-- (acknowledged, not stored twice); a gap stops the batch so that "acked_seq" always means
-- "this and everything before it is stored".
-- The events stored go into the shard's answer stream as one entry (engine/sittings/answer_stream.py).
-- After the events, an optional last ARGV: the caller's device id. A paused sitting (proctor
-- action) or a device other than the one holding the sitting's lock stores nothing.
local s = redis.call('HMGET', KEYS[1], 'state', 'deadline', 'grace', 'last_seq', 'student', 'exam',
  'paused', 'device')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not s[1] then return {'no_session', 0, 0} end
if s[5] ~= ARGV[2] then return {'forbidden', 0, 0} end
local last = tonumber(s[4])
local remaining = tonumber(s[2]) - now
if s[1] ~= 'active' then return {'sitting_submitted', last, remaining} end
local n = tonumber(ARGV[3])
local device = ARGV[4 + n * 3]
if s[8] and device and device ~= '' and device ~= s[8] then
  return {'device_replaced', last, remaining}
end
if s[7] then return {'sitting_paused', last, tonumber(s[2]) - tonumber(s[7])} end
if now > tonumber(s[2]) + tonumber(s[3]) then return {'time_expired', last, remaining} end
-- latest: item, record pairs for one HSET (one command and one AOF record for the batch; an
-- item answered twice in a batch keeps its later record, as one HSET per event would)
local latest, stored = {}, {}
for i = 0, n - 1 do
  local seq = tonumber(ARGV[4 + i * 3])
  if seq == last + 1 then
    latest[#latest + 1] = ARGV[5 + i * 3]
    latest[#latest + 1] = ARGV[6 + i * 3]
    stored[#stored + 1] = ARGV[6 + i * 3]
    last = seq
  elseif seq > last + 1 then
    break
  end
end
if #stored > 0 then
  redis.call('HSET', KEYS[2], unpack(latest))
  redis.call('XADD', KEYS[3], '*', 's', ARGV[1], 'x', s[6], 't', now,
    'e', '[' .. table.concat(stored, ',') .. ']')
end
redis.call('HSET', KEYS[1], 'last_seq', last, 'seen', now)
return {'ok', last, remaining}
