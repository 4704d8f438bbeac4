-- Shared by every script (prepended when loaded). Positions follow core/hot/codec.py.
local F_VERSION, F_TEAM, F_USER, F_EMAIL, F_JOB_NAME, F_DAY, F_START, F_END = 1, 2, 3, 4, 6, 7, 8, 9
local F_CREATED, F_UPDATED, F_DELETED, F_PG, F_ZOHO = 14, 15, 16, 17, 18
local F_UPDATED_BY = 19 -- optional: absent (nil) when the owner made this version
local SINK_SLOTS = {F_PG, F_ZOHO}

-- A sink state is stored as a bare number when it is clean (0: sink off, n: synced version n)
-- and as {status, attempts, synced, inflight, error, next_at} otherwise.
local function expand(s)
  if type(s) == "number" then
    if s == 0 then return {"O", 0, 0, 0, "", 0} end
    return {"S", 0, s, 0, "", 0}
  end
  return s
end

local function compact(s)
  if s[1] == "O" then return 0 end
  if s[1] == "S" and s[2] == 0 and s[4] == 0 and s[5] == "" then return s[3] end
  return s
end

local function load(raw)
  local rec = cjson.decode(raw)
  for _, slot in ipairs(SINK_SLOTS) do rec[slot] = expand(rec[slot]) end
  return rec
end

local function dump(rec)
  for _, slot in ipairs(SINK_SLOTS) do rec[slot] = compact(rec[slot]) end
  local out = cjson.encode(rec)
  for _, slot in ipairs(SINK_SLOTS) do rec[slot] = expand(rec[slot]) end
  return out
end

-- Emails live once per user in the team's profile hash, not in every entry (~25 bytes each).
local function email_of(rec)
  return redis.call("HGET", "p:" .. rec[F_TEAM], rec[F_USER]) or ""
end

-- The day number of the first day of the week holding day number ``day``, for weeks starting
-- on ``week_start`` (0 = Monday). Day 0, 1970-01-01, was a Thursday (weekday 3).
local function week_start_day(day, week_start)
  return day - ((day + 3 - week_start) % 7)
end
