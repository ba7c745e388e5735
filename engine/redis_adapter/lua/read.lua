-- Read several string keys of one slot in one call (MGET is refused inside cluster pipelines).
-- KEYS: the keys. Returns their values (false for a missing key), in order.
return redis.call('MGET', unpack(KEYS))
