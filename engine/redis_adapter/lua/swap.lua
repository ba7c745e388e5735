-- Compare-and-set several string keys of one slot (the live heuristic states of one shard).
-- KEYS: the keys. ARGV[1]: TTL in seconds; then per key i: ARGV[2i] the value the caller read
-- ('' for none) and ARGV[2i + 1] the new value.
-- Returns 1 when every key still held what was read and all were written, 0 when another
-- consumer wrote first (nothing is written; the caller reads again and refolds).
for i = 1, #KEYS do
  if (redis.call('GET', KEYS[i]) or '') ~= ARGV[2 * i] then return 0 end
end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[2 * i + 1], 'EX', ARGV[1])
end
return 1
