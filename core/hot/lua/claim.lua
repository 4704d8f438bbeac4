-- Claim entries for a sync attempt under a lease, so no two workers push one entry at once.
-- ARGV: mode ("due" | "ids"), now, lease_ms, token, limit, due_before, ids...
-- (due_before lets a drain take entries still backing off; a sweep passes now.)
-- A claimed entry's pending score moves to now + lease: if the worker dies, it is due again then.
-- Returns a flat list: id1, json1, email1, id2, json2, email2, ...
local mode, now, lease_ms, token, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local due_before = ARGV[6]
local candidates
if mode == "due" then
  candidates = redis.call("ZRANGEBYSCORE", "q:pending", "-inf", due_before, "LIMIT", 0, limit)
else
  candidates = {}
  for i = 7, #ARGV do candidates[#candidates + 1] = ARGV[i] end
end
local out = {}
for _, id in ipairs(candidates) do
  if redis.call("ZSCORE", "q:pending", id) then
    if redis.call("SET", "l:" .. id, token, "NX", "PX", lease_ms) then
      local raw = redis.call("GET", "e:" .. id)
      if raw then
        redis.call("ZADD", "q:pending", now + lease_ms / 1000, id)
        out[#out + 1] = id
        out[#out + 1] = raw
        out[#out + 1] = email_of(cjson.decode(raw))
      else
        -- Cannot happen while pending entries carry no TTL, unless Redis evicted it (an
        -- allkeys-* policy) or someone deleted it: keep the id where admins and logs see it.
        redis.call("ZREM", "q:pending", id)
        redis.call("DEL", "l:" .. id)
        redis.call("ZADD", "q:lost", now, id)
      end
    end
  end
end
return out
