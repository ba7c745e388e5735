-- Mean utilisation over the processes heard from within the last ARGV[1] ms; forgets the rest.
-- An operator's override (KEYS[2], set with an expiry by PUT /v1/admin/overflow/forced) stands
-- in for the mean while it lasts: a drill, or the overflow held on before a known burst.
-- KEYS: the utilisation hash, the override   ARGV: freshness (ms)
-- Returns {live processes, utilisation as a string, '1' when overridden else '0'} (a Lua number
-- would be truncated to an integer).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fresh = tonumber(ARGV[1])
local entries = redis.call('HGETALL', KEYS[1])
local sum, n = 0, 0
for i = 1, #entries, 2 do
  local value, at = string.match(entries[i + 1], '^([^:]+):(%d+)$')
  if value and now - tonumber(at) <= fresh then
    sum = sum + tonumber(value)
    n = n + 1
  else
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
local forced = redis.call('GET', KEYS[2])
if forced then return {n, forced, '1'} end
if n == 0 then return {0, '0', '0'} end
return {n, tostring(sum / n), '0'}
