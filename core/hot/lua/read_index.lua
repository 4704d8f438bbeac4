-- One user's entries with work dates in [lo, hi] (day numbers), newest first, in one round trip.
-- KEYS[1]: the user's date index. ARGV: lo, hi, team, user.
-- Returns a flat list: id1, json1, email, id2, json2, email, ...
local ids = redis.call("ZREVRANGEBYSCORE", KEYS[1], ARGV[2], ARGV[1])
local email = redis.call("HGET", "p:" .. ARGV[3], ARGV[4]) or ""
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call("GET", "e:" .. id)
  if raw then
    out[#out + 1] = id
    out[#out + 1] = raw
    out[#out + 1] = email
  end
end
return out
