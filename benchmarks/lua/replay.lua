-- wrk script: replay raw HTTP requests written by benchmarks/loadgen.py, round-robin, each
-- thread starting at its own offset; print the summary as one JSON line prefixed by BENCH-JSON.
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
  position = math.floor(thread_id * count / 4)
end

function request()
  position = position + 1
  return requests[(position % count) + 1]
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
