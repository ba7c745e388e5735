-- Claim a sitting for the calling device ("one active sitting device").
-- KEYS: session
-- ARGV: device id, policy ('take_over' | 'refuse')
-- Reply: {status, the other device or ''}: 'ok' (free or already ours), 'taken_over' (the old
-- device is now refused), 'refused' (another device holds it), 'replaced' (this device was
-- taken over earlier and may not take it back), 'no_session'
local s = redis.call('HMGET', KEYS[1], 'state', 'device', 'dx:' .. ARGV[1])
if not s[1] then return {'no_session', ''} end
if s[3] then return {'replaced', s[2] or ''} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if (not s[2]) or s[2] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'device', ARGV[1], 'seen', now)
  return {'ok', ''}
end
if ARGV[2] == 'take_over' then
  redis.call('HSET', KEYS[1], 'device', ARGV[1], 'dx:' .. s[2], now, 'seen', now)
  return {'taken_over', s[2]}
end
return {'refused', s[2]}
