-- Sends ready-made HTTP requests read from a file and reports the run as one JSON line.
--
-- wrk -t <threads> -s requests.lua URL -- <requests-file> <threads>
-- The file holds raw HTTP/1.1 requests separated by NUL bytes. A file with one request
-- repeats it; a file with many (one per authorization code) is used in order, each
-- request once, the file split between wrk's threads. Should the requests run out, the
-- last one is resent (the server then answers errors) and "exhausted" counts how often.
-- wrk calls request() once before the run to inspect it, so the first request of the
-- first thread is never sent (one code minted in vain).

local threads = {}
local counter = 0

-- wrk runs setup() then init() thread by thread, so the thread count comes as an argument.
function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local thread_count = tonumber(args[2])
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local all = {}
  for raw in string.gmatch(data, "([^%z]+)") do
    table.insert(all, raw)
  end
  mine = {}
  if #all == 1 then
    mine[1] = all[1]
  else
    for i = thread_index + 1, #all, thread_count do
      table.insert(mine, all[i])
    end
  end
  position = 0
  exhausted = 0
end

function request()
  if #mine == 1 then
    return mine[1]
  end
  position = position + 1
  if position > #mine then
    exhausted = exhausted + 1
    return mine[#mine]
  end
  return mine[position]
end

function done(summary, latency, requests)
  local exhausted_total = 0
  for _, t in ipairs(threads) do
    exhausted_total = exhausted_total + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"exhausted": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, exhausted_total))
end
