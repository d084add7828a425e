-- Shared by the wrk scripts: tokens, per-thread numbering, status counts, and a machine-readable
-- summary line ("BENCH {json}") that bench.py reads.
local threads = {}
local made = 0

function setup(thread)
  thread:set("tid", made)
  made = made + 1
  table.insert(threads, thread)
end

function read_lines(path)
  local lines = {}
  for line in io.lines(path) do lines[#lines + 1] = line end
  return lines
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts, last = {}, 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do
      counts[tostring(code)] = (counts[tostring(code)] or 0) + n
    end
    local p = t:get("nextp")
    if p and p > last then last = p end
  end
  local parts = {}
  for code, n in pairs(counts) do parts[#parts + 1] = string.format('"%s":%d', code, n) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"statuses":{%s},"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"next":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout, last))
end
