-- Record the results of a sync attempt and decide each entry's next place:
-- every sink holds the current version -> TTL applied, off the pending index;
-- a sink gave up -> dead-letter index (no TTL); otherwise pending at the next due time.
-- ARGV: token, now, cache_days, today_day, then one JSON per entry:
--   {"id":..., "v": pushed version, "s": {"<slot>": state}}   (new sink states by slot)
local token, now, cache_days, today = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local result = {}
for i = 5, #ARGV do
  local item = cjson.decode(ARGV[i])
  local id = item["id"]
  local ekey, lkey = "e:" .. id, "l:" .. id
  if redis.call("GET", lkey) ~= token then
    result[#result + 1] = "lost:" .. id -- our lease ran out; the new holder decides
  else
    local raw = redis.call("GET", ekey)
    if not raw then
      redis.call("ZREM", "q:pending", id)
    else
      local rec = load(raw)
      local current = rec[F_VERSION]
      for _, slot in ipairs(SINK_SLOTS) do
        local new = item["s"][tostring(slot)]
        if new then
          new = expand(new)
          if current == item["v"] then
            rec[slot] = new
          else
            -- Edited while we pushed: keep what the sink now holds, it owes the newer version.
            local s = rec[slot]
            if new[3] > s[3] then s[3] = new[3] end
            s[4] = new[4]
          end
        end
      end
      local done, dead, due = true, false, nil
      for _, slot in ipairs(SINK_SLOTS) do
        local s = rec[slot]
        if s[1] ~= "O" and s[3] < current then
          done = false
          if s[1] == "D" then
            dead = true
          elseif due == nil or s[6] < due then
            due = s[6]
          end
        elseif s[1] == "P" then
          s[1], s[2], s[5] = "S", 0, "" -- an earlier push already covers this version
        end
      end
      redis.call("SET", ekey, dump(rec))
      if done then
        redis.call("ZREM", "q:pending", id)
        redis.call("ZREM", "q:dead", id)
        local expire_at = (rec[F_DAY] + cache_days + 2) * 86400
        if expire_at < now + 3600 then expire_at = now + 3600 end
        redis.call("EXPIREAT", ekey, math.floor(expire_at))
        -- Prune the user's date index by score, dropping only ids whose entry is gone.
        local index = "u:" .. rec[F_TEAM] .. ":" .. rec[F_USER]
        for _, old_id in ipairs(redis.call("ZRANGEBYSCORE", index, "-inf", today - cache_days - 2)) do
          if redis.call("EXISTS", "e:" .. old_id) == 0 then redis.call("ZREM", index, old_id) end
        end
        result[#result + 1] = "synced:" .. id
      elseif dead and due == nil then
        redis.call("ZREM", "q:pending", id)
        redis.call("ZADD", "q:dead", now, id)
        result[#result + 1] = "dead:" .. id
      else
        if dead then redis.call("ZADD", "q:dead", now, id) end
        redis.call("ZADD", "q:pending", due or now, id)
        result[#result + 1] = "pending:" .. id
      end
    end
    redis.call("DEL", lkey)
  end
end
return result
