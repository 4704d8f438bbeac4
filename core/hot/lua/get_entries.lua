-- Entries by id with their users' emails, in one round trip. ARGV: ids.
-- Returns a flat list: id1, json1, email1, ... (missing ids left out)
local out = {}
for _, id in ipairs(ARGV) do
  local raw = redis.call("GET", "e:" .. id)
  if raw then
    out[#out + 1] = id
    out[#out + 1] = raw
    out[#out + 1] = email_of(cjson.decode(raw))
  end
end
return out
