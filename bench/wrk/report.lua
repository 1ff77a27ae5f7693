-- The reporter shared by the harness's wrk scripts (bench/wrk/kv.lua,
-- bench/memory/wrk/memory.lua): numbers the threads in setup() and prints
-- the figures of a run as one line "KVBENCH_JSON {...}", which
-- bench/load/wrk.ts parses.
--
-- Load it from a script with the path derived from the script's own:
--   local report = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") ..
--     "<relative path>/report.lua")
-- then `setup = report.setup` and call report.write() from done().

local report = {}

-- The threads wrk created, in order; thread i gets the global `id` i - 1.
report.threads = {}

-- wrk's setup(): gives each thread its `id` and keeps it for sum().
function report.setup(thread)
  thread:set("id", #report.threads)
  table.insert(report.threads, thread)
end

-- The sum over the threads of their global `name`.
function report.sum(name)
  local total = 0
  for _, t in ipairs(report.threads) do total = total + t:get(name) end
  return total
end

-- Each thread's global `name`, comma-separated (a JSON array's inside).
function report.list(name)
  local items = {}
  for _, t in ipairs(report.threads) do table.insert(items, tostring(t:get(name))) end
  return table.concat(items, ",")
end

-- Prints the KVBENCH_JSON line from wrk's done() arguments, the GETs and
-- PUTs sent, and `extra` (more JSON members, starting with a comma, or nil).
function report.write(summary, latency, gets, puts, extra)
  local e = summary.errors
  local pct = {}
  for _, q in ipairs({ 50, 90, 99, 99.9 }) do
    table.insert(pct, string.format('"%s":%d', tostring(q), latency:percentile(q)))
  end
  io.write(string.format(
    'KVBENCH_JSON {"durationUs":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,"percentiles":{%s}},' ..
    '"sent":{"get":%d,"put":%d}%s}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev, table.concat(pct, ","),
    gets, puts, extra or ""))
end

return report
