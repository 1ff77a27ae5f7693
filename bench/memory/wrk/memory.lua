-- wrk script of the memory benchmark (bench/memory/run.ts).
--
-- Usage: wrk ... -s bench/memory/wrk/memory.lua URL -- \
--          VALUESFILE SCHEME MODE START FILLED GET_PERCENT TTL THREADS
--   VALUESFILE  one JSON-escaped value per line (no quotes); key n gets
--               value (n % count) + 1 (1-based Lua index)
--   SCHEME      key scheme: "tiny", "uuid" or "long" (see shapes.ts keyFor,
--               which this file must match)
--   MODE        "fill"  : PUTs of new keys n = START, START+1, ...
--               "mixed" : GET_PERCENT% GETs of keys drawn uniformly from
--                         [0, FILLED), the rest PUTs of new keys from START
--   TTL         "" or a number of seconds sent as "ttl" in every PUT
--   THREADS     wrk's -t (each thread's Lua state cannot see the others)
--
-- With several threads, thread `id` writes keys START + id, START + id +
-- threads, ... so keys stay unique. No response() callback: wrk counts
-- statuses > 399 itself. done() prints one line "KVBENCH_JSON {...}" through
-- bench/wrk/report.lua, plus "counters" (PUTs sent per thread), so the
-- harness knows which keys were written. The harness stops a fill with
-- SIGINT; wrk then reports as if the duration had ended.

local report = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") ..
  "../../wrk/report.lua")
setup = report.setup

local B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
local B62_DIGITS = {}
for i = 1, 62 do B62_DIGITS[i - 1] = B62:sub(i, i) end
local FILLER = ""
do
  local unit = "-abcdefghijklmnopqrstuvwxyz0123456789"
  while #FILLER < 244 do FILLER = FILLER .. unit end
  FILLER = FILLER:sub(1, 244)
end
local PADS = {}
for i = 0, 8 do PADS[i] = string.rep("_", i) end

local function base62(n)
  if n == 0 then return "0" end
  local s = ""
  while n > 0 do
    local d = n % 62
    s = B62_DIGITS[d] .. s
    n = (n - d) / 62
  end
  return s
end

local scheme = "tiny"
local function key(n)
  if scheme == "tiny" then
    local b = base62(n)
    return b .. PADS[n % (9 - #b)]
  elseif scheme == "uuid" then
    return string.format("00000000-0000-4000-8000-%012d", n)
  else
    return string.format("%012d", n) .. FILLER
  end
end

local values = {}
local mode, start, filled, get_percent, ttl_part = "fill", 0, 0, 50, ""
local stride = 1
local headers = { ["Content-Type"] = "application/json" }
counter, gets_sent = 0, 0

function init(args)
  for line in io.lines(args[1]) do table.insert(values, line) end
  scheme = args[2]
  mode = args[3]
  start = tonumber(args[4])
  filled = tonumber(args[5])
  get_percent = tonumber(args[6])
  if args[7] and args[7] ~= "" then ttl_part = ',"ttl":' .. args[7] end
  stride = tonumber(args[8] or "1")
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  if mode == "mixed" and filled > 0 and math.random(100) <= get_percent then
    gets_sent = gets_sent + 1
    return wrk.format("GET", "/get?key=" .. key(math.random(0, filled - 1)))
  end
  local n = start + counter * stride + (id or 0)
  counter = counter + 1
  return wrk.format("POST", "/put", headers,
    '{"key":"' .. key(n) .. '","value":"' .. values[(n % #values) + 1] ..
    '"' .. ttl_part .. '}')
end

function done(summary, latency, requests)
  report.write(summary, latency, report.sum("gets_sent"), report.sum("counter"),
    ',"counters":[' .. report.list("counter") .. ']')
end
