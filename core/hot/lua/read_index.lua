-- One user's entries with work dates in [lo, hi] (day numbers), newest first, in one round trip.
-- KEYS[1]: the user's date index. ARGV: lo, hi. Returns a flat list id1, json1, ...
local ids = redis.call("ZREVRANGEBYSCORE", KEYS[1], ARGV[2], ARGV[1])
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call("GET", "e:" .. id)
  if raw then
    out[#out + 1] = id
    out[#out + 1] = raw
  end
end
return out
