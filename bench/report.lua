-- wrk script for bench/http.sh: POSTs the body in $BENCH_BODY and prints
-- one line of figures when done.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "rps=%.1f p50_ms=%.2f p99_ms=%.2f bytes_per_req=%d requests=%d non2xx=%d errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests > 0 and math.floor(summary.bytes / summary.requests) or 0,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
