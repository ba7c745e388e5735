-- Acknowledge a batch of a stream, and write its copy, in one step: the copy exists exactly
-- when the acknowledgement does (a copy sent beside the XACK could fail while the XACK held,
-- and the batch would never be copied).
-- KEYS: 1 the stream, 2 the copy's stream (the same slot; unused without a copy)
-- ARGV: 1 group, 2 'trim' | 'delete', 3 the number of the copy's field and value arguments
--   (0: no copy), then those arguments, then the batch's entry ids.
-- 'trim': the stream has this one group. Every entry older than the oldest still pending in the
-- group has been delivered and acknowledged, so it can go; with nothing pending, everything the
-- group has been delivered can. One XTRIM frees whole stream nodes, where an XDEL of each id
-- marks entries one by one (a tenth of the Redis time, measured). 'delete': XDEL each id.
local group, mode, copy_args = ARGV[1], ARGV[2], tonumber(ARGV[3])
if copy_args > 0 then
  redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4, 3 + copy_args))
end
local first_id = 4 + copy_args
local acked = redis.call('XACK', KEYS[1], group, unpack(ARGV, first_id))
if mode == 'delete' then
  redis.call('XDEL', KEYS[1], unpack(ARGV, first_id))
  return acked
end
local pending = redis.call('XPENDING', KEYS[1], group)
local first_kept
if pending[1] > 0 then
  first_kept = pending[2]
else
  local last
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local fields = {}
    for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
    if fields['name'] == group then last = fields['last-delivered-id'] end
  end
  local ms, seq = string.match(last, '^(%d+)-(%d+)$')
  first_kept = ms .. '-' .. string.format('%d', tonumber(seq) + 1)
end
redis.call('XTRIM', KEYS[1], 'MINID', first_kept)
return acked
