-- The URL mix for wrk, written by bench/load.py (see its docstring):
--
--   wrk -t2 -c16 -d30s -s bench/load.lua http://127.0.0.1:PORT -- URLS_FILE THREADS ENCODING
--
-- URLS_FILE holds one path a line. Each thread requests them round robin, in the file's order,
-- starting a share of the list further on than the thread before (so the threads do not ask
-- for the same page at the same moment); every URL is requested as often as every other.
-- ENCODING is the Accept-Encoding header sent ("" for none).
--
-- done() prints one line, "LOAD-RESULT {json}": wrk's counts, latency percentiles (ms), and
-- every answer that was not a 200, by status (wrk itself counts only statuses of 400 and more).

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   local file, nthreads, encoding = args[1], tonumber(args[2]) or 1, args[3] or ""
   if encoding ~= "" then
      wrk.headers["Accept-Encoding"] = encoding
   end
   prepared = {}
   for line in io.lines(file) do
      if line ~= "" then
         prepared[#prepared + 1] = wrk.format("GET", line)
      end
   end
   if #prepared == 0 then
      error("no URL in " .. file)
   end
   position = (id * math.floor(#prepared / nthreads)) % #prepared
   statuses = {} -- read by done() through thread:get
end

function request()
   position = position % #prepared + 1
   return prepared[position]
end

function response(status, headers, body)
   if status ~= 200 then
      local key = tostring(status)
      statuses[key] = (statuses[key] or 0) + 1
   end
end

local function ms(us)
   return string.format("%.3f", us / 1000)
end

function done(summary, latency, requests)
   local other, merged, parts = 0, {}, {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         other = other + n
         merged[status] = (merged[status] or 0) + n
      end
   end
   for status, n in pairs(merged) do
      parts[#parts + 1] = string.format('"%s": %d', status, n)
   end
   local e = summary.errors
   io.write("LOAD-RESULT {",
      string.format('"requests": %d, "duration_s": %.3f, "bytes": %d, ',
         summary.requests, summary.duration / 1e6, summary.bytes),
      string.format('"connect": %d, "read": %d, "write": %d, "timeout": %d, "non_200": %d, ',
         e.connect, e.read, e.write, e.timeout, other),
      '"statuses": {', table.concat(parts, ", "), "}, ",
      '"p50_ms": ', ms(latency:percentile(50)), ', "p90_ms": ', ms(latency:percentile(90)),
      ', "p99_ms": ', ms(latency:percentile(99)), ', "max_ms": ', ms(latency.max),
      ', "mean_ms": ', ms(latency.mean), "}\n")
end
