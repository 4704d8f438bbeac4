-- Before a push, note which version is in flight to a sink, under our lease.
-- ARGV: token, slot (17 postgres, 18 zoho), then id, version pairs. Returns ids still ours.
local token, slot = ARGV[1], tonumber(ARGV[2])
local ours = {}
for i = 3, #ARGV, 2 do
  local id, version = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call("GET", "l:" .. id) == token then
    local raw = redis.call("GET", "e:" .. id)
    if raw then
      local rec = cjson.decode(raw)
      if rec[1] == version then
        rec[slot][4] = version
        redis.call("SET", "e:" .. id, cjson.encode(rec))
      end
      ours[#ours + 1] = id
    end
  end
end
return ours
