-- wrk script for the kv-cache load test.
--
-- Usage: wrk ... -s bench/wrk/kv.lua URL -- DATAFILE MODE GET_PERCENT NONCE
--   DATAFILE     lines "E<TAB>key<TAB>json-escaped value", "M<TAB>miss key"
--                and, optionally, "B<TAB>PUT body" for each E line in turn:
--                the body a mix sends for that key, in a client's spelling
--                (written by bench/wrk.ts; keys need no percent-encoding)
--   MODE         "mix"  : GET_PERCENT% GETs of prefilled keys, the rest PUTs
--                         of the same keys with their own values
--                "fill" : PUTs of unique keys (never repeated)
--                "miss" : GETs of keys that are never written
--   NONCE        integer making "fill" keys unique across wrk invocations
--
-- Requests for "mix" and "miss" are pre-built in init(); request() only picks
-- one. No response() callback is defined, so wrk does not parse bodies; HTTP
-- statuses > 399 are counted by wrk itself (summary.errors.status).
-- done() prints one line "KVBENCH_JSON {...}" for bench/wrk.ts to parse.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local gets, puts, mode, get_percent, nonce, counter = {}, {}, "mix", 50, 0, 0
local values = {}
local put_headers = { ["Content-Type"] = "application/json" }
gets_sent, puts_sent = 0, 0

function init(args)
  local datafile = args[1]
  mode = args[2] or "mix"
  get_percent = tonumber(args[3] or "50")
  nonce = tonumber(args[4] or "0")
  math.randomseed(nonce + (id or 0) * 7919)
  local bodies = 0
  for line in io.lines(datafile) do
    local kind, key, value = line:match("^(%a)\t([^\t]*)\t?(.*)$")
    if kind == "B" then
      -- A spelled body replaces the compact one of the same entry.
      bodies = bodies + 1
      if mode == "mix" then
        puts[bodies] = wrk.format("POST", "/put", put_headers, line:sub(3))
      end
    elseif kind == "E" then
      table.insert(values, value)
      if mode == "mix" then
        table.insert(gets, wrk.format("GET", "/get?key=" .. key))
        table.insert(puts, wrk.format("POST", "/put", put_headers,
          '{"key":"' .. key .. '","value":"' .. value .. '"}'))
      end
    elseif kind == "M" and mode == "miss" then
      table.insert(gets, wrk.format("GET", "/get?key=" .. key))
    end
  end
end

function request()
  if mode == "fill" then
    counter = counter + 1
    puts_sent = puts_sent + 1
    local key = string.format("%08x-%04x-4000-a000-%012d", nonce, id, counter)
    return wrk.format("POST", "/put", put_headers,
      '{"key":"' .. key .. '","value":"' .. values[(counter % #values) + 1] .. '"}')
  end
  if mode == "miss" or math.random(100) <= get_percent then
    gets_sent = gets_sent + 1
    return gets[math.random(#gets)]
  end
  puts_sent = puts_sent + 1
  return puts[math.random(#puts)]
end

function done(summary, latency, requests)
  local g, p = 0, 0
  for _, t in ipairs(threads) do
    g = g + t:get("gets_sent")
    p = p + t:get("puts_sent")
  end
  local e = summary.errors
  local pct = {}
  for _, q in ipairs({ 50, 90, 99, 99.9 }) do
    table.insert(pct, string.format('"%s":%d', tostring(q), latency:percentile(q)))
  end
  io.write(string.format(
    'KVBENCH_JSON {"durationUs":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,"percentiles":{%s}},' ..
    '"sent":{"get":%d,"put":%d}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev, table.concat(pct, ","),
    g, p))
end
