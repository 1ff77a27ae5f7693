-- wrk script for the kv-cache load test.
--
-- Usage: wrk ... -s bench/wrk/kv.lua URL -- DATAFILE MODE GET_PERCENT NONCE
--   DATAFILE     lines "E<TAB>key<TAB>json-escaped value", "M<TAB>miss key"
--                and, optionally, "B<TAB>PUT body" for each E line in turn:
--                the body a mix sends for that key, in a client's spelling
--                (written by bench/load/wrk.ts; keys need no percent-encoding)
--   MODE         "mix"  : GET_PERCENT% GETs of prefilled keys, the rest PUTs
--                         of the same keys with their own values
--                "fill" : PUTs of unique keys (never repeated)
--                "miss" : GETs of keys that are never written
--                "redis-get"      : the Redis REST protocol's POST / with
--                         ["get",KEY] of prefilled keys, with the header
--                         Upstash-Encoding: base64 (as @upstash/redis sends)
--                "redis-pipeline" : POST /pipeline of PIPELINE_GETS such
--                         GETs of prefilled keys, drawn at random
--                "redis-set"      : POST / with ["set",KEY,VALUE] of the
--                         prefilled keys and their own values (base64 header)
--   NONCE        integer making "fill" keys unique across wrk invocations
--
-- Requests for "mix" and "miss" are pre-built in init(); request() only picks
-- one. No response() callback is defined, so wrk does not parse bodies; HTTP
-- statuses > 399 are counted by wrk itself (summary.errors.status).
-- done() prints one line "KVBENCH_JSON {...}" through bench/wrk/report.lua,
-- for bench/load/wrk.ts to parse.

local report = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
setup = report.setup

local gets, puts, mode, get_percent, nonce, counter = {}, {}, "mix", 50, 0, 0
local values, keys = {}, {}
local put_headers = { ["Content-Type"] = "application/json" }
-- The headers @upstash/redis 1.39 sends by default (readYourWrites echoes the
-- last sync token; telemetry names the runtime), but no Authorization: the
-- benchmark servers run without AUTH_TOKEN, as for the JSON API's workloads.
local redis_headers = {
  ["Content-Type"] = "application/json",
  ["Upstash-Encoding"] = "base64",
  ["upstash-sync-token"] = "1a2b3c4d-123456",
  ["Upstash-Telemetry-Runtime"] = "node@v20.20.2",
  ["Upstash-Telemetry-Platform"] = "unknown",
  ["Upstash-Telemetry-Sdk"] = "@upstash/redis@v1.39.0",
}
-- Must equal PIPELINE_GETS in bench/load/generator.ts.
local PIPELINE_GETS = 16
local PIPELINES = 2000
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
      if mode == "redis-get" then
        table.insert(gets, wrk.format("POST", "/", redis_headers,
          '["get","' .. key .. '"]'))
      elseif mode == "redis-set" then
        table.insert(puts, wrk.format("POST", "/", redis_headers,
          '["set","' .. key .. '","' .. value .. '"]'))
      elseif mode == "redis-pipeline" then
        table.insert(keys, key)
      end
      if mode == "mix" then
        table.insert(gets, wrk.format("GET", "/get?key=" .. key))
        table.insert(puts, wrk.format("POST", "/put", put_headers,
          '{"key":"' .. key .. '","value":"' .. value .. '"}'))
      end
    elseif kind == "M" and mode == "miss" then
      table.insert(gets, wrk.format("GET", "/get?key=" .. key))
    end
  end
  if mode == "redis-pipeline" then
    for p = 1, PIPELINES do
      local commands = {}
      for c = 1, PIPELINE_GETS do
        commands[c] = '["get","' .. keys[math.random(#keys)] .. '"]'
      end
      gets[p] = wrk.format("POST", "/pipeline", redis_headers,
        "[" .. table.concat(commands, ",") .. "]")
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
  if mode == "redis-set" then
    puts_sent = puts_sent + 1
    return puts[math.random(#puts)]
  end
  if mode == "miss" or mode == "redis-get" or mode == "redis-pipeline" or
      math.random(100) <= get_percent then
    gets_sent = gets_sent + 1
    return gets[math.random(#gets)]
  end
  puts_sent = puts_sent + 1
  return puts[math.random(#puts)]
end

function done(summary, latency, requests)
  report.write(summary, latency, report.sum("gets_sent"), report.sum("puts_sent"))
end
