-- Record one process's utilisation, stamped with Redis's clock (never a pod's).
-- KEYS: the utilisation hash   ARGV: process id, utilisation, key ttl (ms)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return now
