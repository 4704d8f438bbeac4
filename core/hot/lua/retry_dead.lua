-- An admin asks to try a dead-lettered entry again: fresh attempts, due now.
-- ARGV: id, now. Returns 1 if requeued, 0 if it was not dead.
local id, now = ARGV[1], tonumber(ARGV[2])
if not redis.call("ZSCORE", "q:dead", id) then return 0 end
local raw = redis.call("GET", "e:" .. id)
if not raw then
  redis.call("ZREM", "q:dead", id)
  return 0
end
local rec = load(raw)
for _, slot in ipairs(SINK_SLOTS) do
  if rec[slot][1] == "D" then
    rec[slot][1], rec[slot][2], rec[slot][6] = "P", 0, now
  end
end
redis.call("SET", "e:" .. id, dump(rec))
redis.call("ZREM", "q:dead", id)
redis.call("ZADD", "q:pending", now, id)
return 1
