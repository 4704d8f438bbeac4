-- Before a push, note which version is in flight to a sink, under our lease, so that a
-- crash mid-push is visible to the next attempt (which must then check before creating).
-- ARGV: token, slot, then id, version pairs. Returns the ids whose lease we still hold.
local token, slot = ARGV[1], tonumber(ARGV[2])
local ours = {}
for i = 3, #ARGV, 2 do
  local id, version = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call("GET", "l:" .. id) == token then
    local raw = redis.call("GET", "e:" .. id)
    if raw then
      local rec = load(raw)
      if rec[F_VERSION] == version then
        rec[slot][4] = version
        redis.call("SET", "e:" .. id, dump(rec))
      end
      ours[#ours + 1] = id
    end
  end
end
return ours
