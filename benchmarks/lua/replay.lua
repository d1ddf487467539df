-- wrk script: replay raw HTTP requests written by benchmarks/loadgen.py in order, the threads
-- interleaved (thread t sends requests offset+t, offset+t+threads, ...), starting at
-- BENCH_OFFSET, where the previous run on the same list stopped: a save replayed would be a
-- duplicate (409). Print the summary, and the offset for the next run, as one JSON line
-- prefixed by BENCH-JSON.
local requests = dofile(os.getenv("BENCH_REQUESTS"))
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  count = #requests
  stride = tonumber(os.getenv("BENCH_THREADS"))
  position = tonumber(os.getenv("BENCH_OFFSET")) + thread_id - stride
end

function request()
  position = position + stride
  return requests[(position % count) + 1]
end

function done(summary, latency, _)
  local errors = summary.errors
  local furthest = 0
  for _, thread in ipairs(threads) do
    furthest = math.max(furthest, thread:get("position"))
  end
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, ' ..
    '"next_offset": %d}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.mean, latency.max, furthest + 1))
end
