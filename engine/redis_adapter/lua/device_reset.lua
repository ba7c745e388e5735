-- Reset a sitting's device lock (proctor action): the next device to start the sitting holds
-- it, including one that was taken over before.
-- KEYS: session
-- Reply: {status, the device that held the lock or ''}
local s = redis.call('HMGET', KEYS[1], 'state', 'device')
if not s[1] then return {'no_session', ''} end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 3) == 'dx:' then redis.call('HDEL', KEYS[1], field) end
end
redis.call('HDEL', KEYS[1], 'device')
return {'ok', s[2] or ''}
