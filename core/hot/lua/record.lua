-- Record a create, edit or delete of one entry in one atomic step.
-- Positions follow core/hot/codec.py (Lua arrays start at 1).
-- ARGV: mode, id, record_json, actor_team, actor_user, actor_may_act_for_others ("1"/"0"),
--       intent ("" for none), intent_ttl_s, now
-- Returns {"ok", json} | {"dup", id, json} | {"overlap", other_id, other_json} | {"missing"} | {"forbidden"}
local mode, id, rec_json = ARGV[1], ARGV[2], ARGV[3]
local actor_team, actor_user, privileged = ARGV[4], ARGV[5], ARGV[6] == "1"
local intent, intent_ttl, now = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local VERSION, TEAM, USER, EMAIL, DAY, START, FIN = 1, 2, 3, 4, 7, 8, 9
local JOB_NAME, CREATED, UPDATED, DELETED, PG, ZOHO = 6, 14, 15, 16, 17, 18
local ikey = "i:" .. intent

if intent ~= "" then
  local seen = redis.call("GET", ikey)
  if seen then
    return {"dup", seen, redis.call("GET", "e:" .. seen) or ""}
  end
end

local ekey = "e:" .. id
local rec
local old_raw = redis.call("GET", ekey)
if mode == "create" then
  if old_raw then
    return {"dup", id, old_raw}
  end
  rec = cjson.decode(rec_json)
else
  if not old_raw then
    return {"missing"}
  end
  local old = cjson.decode(old_raw)
  if old[DELETED] == 1 then
    return {"missing"}
  end
  if old[TEAM] ~= actor_team or (old[USER] ~= actor_user and not privileged) then
    return {"forbidden"}
  end
  if mode == "delete" then
    rec = old
    rec[DELETED] = 1
  else
    rec = cjson.decode(rec_json)
    rec[TEAM], rec[USER], rec[EMAIL] = old[TEAM], old[USER], old[EMAIL]
    rec[CREATED] = old[CREATED]
  end
  rec[VERSION] = old[VERSION] + 1
  rec[UPDATED] = now
  -- Each sink owes the new version: keep what it already holds, reset the attempt count.
  for _, slot in ipairs({PG, ZOHO}) do
    local s = old[slot]
    if s[1] ~= "O" then
      rec[slot] = {"P", 0, s[3], s[4], "", now}
    else
      rec[slot] = s
    end
  end
end

local index = "u:" .. rec[TEAM] .. ":" .. rec[USER]
if rec[DELETED] ~= 1 then
  -- No overlap with the same user's other shifts (a night shift reaches into the next day).
  local day = rec[DAY]
  local a = day * 1440 + rec[START]
  local b = day * 1440 + rec[FIN]
  if rec[FIN] <= rec[START] then b = b + 1440 end
  local near = redis.call("ZRANGEBYSCORE", index, day - 1, day + 1)
  for _, other_id in ipairs(near) do
    if other_id ~= id then
      local raw = redis.call("GET", "e:" .. other_id)
      if raw then
        local o = cjson.decode(raw)
        if o[DELETED] ~= 1 then
          local oa = o[DAY] * 1440 + o[START]
          local ob = o[DAY] * 1440 + o[FIN]
          if o[FIN] <= o[START] then ob = ob + 1440 end
          if a < ob and oa < b then
            return {"overlap", other_id, raw}
          end
        end
      end
    end
  end
end

local out = cjson.encode(rec)
redis.call("SET", ekey, out) -- no EX: pending entries never expire
redis.call("ZADD", index, rec[DAY], id)
redis.call("ZADD", "q:pending", now, id)
redis.call("ZREM", "q:dead", id)
if intent ~= "" then
  redis.call("SET", ikey, id, "EX", intent_ttl)
end
return {"ok", out}
