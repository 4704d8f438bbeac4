-- Record a create, edit or delete of one entry in one atomic step: the idempotency check,
-- the approved-week lock, the overlap check, the entry (no TTL), the user's date index and
-- the pending index.
-- ARGV: mode, id, record_json, actor_team, actor_user, actor_may_act_for_others ("1"/"0"),
--       intent ("" for none), intent_ttl_s, now, user_email, week_start (0 = Monday)
-- Returns {"ok", json, email} | {"dup", id, json, email} | {"overlap", other_id, other_json} | {"missing"}
--       | {"forbidden"} | {"locked", approver, week_start_day}
local mode, id, rec_json = ARGV[1], ARGV[2], ARGV[3]
local actor_team, actor_user, privileged = ARGV[4], ARGV[5], ARGV[6] == "1"
local intent, intent_ttl, now, email = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local week_start = tonumber(ARGV[11] or "0")
local ikey = "i:" .. intent

-- An approved week is locked for everyone, managers too, until a manager reopens it.
-- w:{team}:{user} maps the week's first day (day number) to the approver.
local function lock_on(team, user, day)
  local first = week_start_day(day, week_start)
  local approver = redis.call("HGET", "w:" .. team .. ":" .. user, string.format("%d", first))
  if approver then return {"locked", approver, first} end
  return nil
end

if intent ~= "" then
  local seen = redis.call("GET", ikey)
  if seen then
    local raw = redis.call("GET", "e:" .. seen)
    if not raw then return {"dup", seen, "", ""} end
    return {"dup", seen, raw, email_of(cjson.decode(raw))}
  end
end

local ekey = "e:" .. id
local rec
local old_raw = redis.call("GET", ekey)
if mode == "create" then
  if old_raw then
    return {"dup", id, old_raw, email_of(cjson.decode(old_raw))}
  end
  rec = load(rec_json)
  local locked = lock_on(rec[F_TEAM], rec[F_USER], rec[F_DAY])
  if locked then return locked end
  if email ~= "" then redis.call("HSET", "p:" .. rec[F_TEAM], rec[F_USER], email) end
else
  if not old_raw then
    return {"missing"}
  end
  local old = load(old_raw)
  if old[F_DELETED] == 1 then
    return {"missing"}
  end
  if old[F_TEAM] ~= actor_team or (old[F_USER] ~= actor_user and not privileged) then
    return {"forbidden"}
  end
  local locked = lock_on(old[F_TEAM], old[F_USER], old[F_DAY])
  if locked then return locked end
  if mode == "delete" then
    rec = load(old_raw)
    rec[F_DELETED] = 1
  else
    rec = load(rec_json)
    rec[F_TEAM], rec[F_USER] = old[F_TEAM], old[F_USER]
    rec[F_CREATED] = old[F_CREATED]
    locked = lock_on(rec[F_TEAM], rec[F_USER], rec[F_DAY]) -- moving it into an approved week
    if locked then return locked end
  end
  -- Who made this version: left out (nil) when it is the owner, as it usually is.
  if actor_user ~= rec[F_USER] then rec[F_UPDATED_BY] = actor_user else rec[F_UPDATED_BY] = nil end
  rec[F_VERSION] = old[F_VERSION] + 1
  rec[F_UPDATED] = math.floor(now) - rec[F_CREATED] -- stored as seconds after created
  -- Each sink owes the new version: keep what it already holds, reset the attempt count.
  for _, slot in ipairs(SINK_SLOTS) do
    local s = old[slot]
    if s[1] ~= "O" then
      rec[slot] = {"P", 0, s[3], s[4], "", now}
    else
      rec[slot] = s
    end
  end
end

local index = "u:" .. rec[F_TEAM] .. ":" .. rec[F_USER]
if rec[F_DELETED] ~= 1 then
  -- No overlap with the same user's other shifts (a night shift reaches into the next day).
  local day = rec[F_DAY]
  local a = day * 1440 + rec[F_START]
  local b = day * 1440 + rec[F_END]
  if rec[F_END] <= rec[F_START] then b = b + 1440 end
  local near = redis.call("ZRANGEBYSCORE", index, day - 1, day + 1)
  for _, other_id in ipairs(near) do
    if other_id ~= id then
      local raw = redis.call("GET", "e:" .. other_id)
      if raw then
        local o = cjson.decode(raw)
        if o[F_DELETED] ~= 1 then
          local oa = o[F_DAY] * 1440 + o[F_START]
          local ob = o[F_DAY] * 1440 + o[F_END]
          if o[F_END] <= o[F_START] then ob = ob + 1440 end
          if a < ob and oa < b then
            return {"overlap", other_id, raw}
          end
        end
      end
    end
  end
end

local out
if mode == "create" and rec[F_EMAIL] == "" then
  out = rec_json -- as codec.encode wrote it (compact, no email): no need to encode it again
else
  rec[F_EMAIL] = ""
  out = dump(rec)
end
redis.call("SET", ekey, out) -- no EX: an entry some sink still owes never expires
redis.call("ZADD", index, rec[F_DAY], id)
redis.call("ZADD", "q:pending", now, id)
if mode ~= "create" then
  redis.call("ZREM", "q:dead", id) -- a new id was never a dead letter
end
if intent ~= "" then
  redis.call("SET", ikey, id, "EX", intent_ttl)
end
if mode == "create" and email ~= "" then
  return {"ok", out, email} -- just stored as the user's email
end
return {"ok", out, email_of(rec)}
