-- An answer batch carrying telemetry, in one call on one slot: the telemetry first, as
-- telemetry.lua stores it in 'ingest' mode, then, unless the telemetry was refused, the answers,
-- as answer.lua stores them. The two scripts come before this text as the local functions
-- telemetry(KEYS, ARGV) and answer(KEYS, ARGV) (engine/integrity/telemetry_store.py).
-- KEYS: session, answers, answer stream, ingest state, telemetry window, integrity stream.
-- ARGV: the count n of telemetry.lua's arguments, those n, then answer.lua's.
-- Reply: {telemetry.lua's reply, answer.lua's reply}; the second is left out when the
-- telemetry was refused (nothing of the request stored then).
local n = tonumber(ARGV[1])
local t = telemetry({KEYS[1], KEYS[4], KEYS[5], KEYS[6]}, {unpack(ARGV, 2, n + 1)})
if t[1] ~= 'ok' or (t[9] ~= 'ok' and t[9] ~= 'duplicate') then return {t} end
return {t, answer({KEYS[1], KEYS[2], KEYS[3]}, {unpack(ARGV, n + 2)})}
