-- Store one admitted telemetry batch: the page's new ingest state and the stream entry, only
-- if the state is still the one admission was computed from. One slot: both keys carry the
-- shard's hash tag.
-- KEYS: ingest state hash, the shard's integrity stream.
-- ARGV: page session, state read ('' for none), new state, TTL s, then the entry's
-- field/value pairs.
-- Returns 1 when stored, 0 when another batch of this page got in first (nothing stored).
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[2], '*', unpack(fields))
return 1
