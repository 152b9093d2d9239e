-- wrk script of the bench: POSTs the bodies of a file (one JSON text per line) in turn, so
-- partition keys vary, and prints the summary as one JSON line prefixed BENCH_JSON for bench/load/wrk.ts.
-- Arguments after "--": <bodies file> <path> [header lines "Name: value" ...]
local requests = {}
local index = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  local headers = { ["Content-Type"] = "application/json" }
  for i = 3, #args do
    local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
  for line in file:lines() do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", args[2], headers, line)
    end
  end
  file:close()
  -- Threads start at different offsets so they do not send the same key at the same moment.
  index = math.random(#requests) - 1
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
