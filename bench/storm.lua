-- wrk script for bench/checkin_storm.py, in one of two modes (the first argument after --):
--   <cookie file> <threads>: POST /checkin once per line of the file. Each line is
--     "<session cookie>\t<csrf token>\t<device id>"; each cookie holds its own scan ticket, so
--     every request is a new check-in. wrk's threads take every n-th line (n = wrk's -t). Only
--     a 303 to /checkin/result is a good answer.
--   healthz: GET /healthz; only a 200 is a good answer.
-- Both modes check every answer, so the client does the same work per request in each and the
-- ratio compares the server's. Figures are printed as GL_* lines for the benchmark to read.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  rows, pos, bad, exhausted = {}, 0, 0, 0
  healthz = args[1] == "healthz"
  if healthz then
    rows[1] = wrk.format("GET", "/healthz")
    return
  end
  local nthreads = tonumber(args[2]) or 2
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then
      local cookie, csrf, device = line:match("([^\t]+)\t([^\t]+)\t(.+)")
      rows[#rows + 1] = wrk.format("POST", "/checkin", {
        ["Cookie"] = "gl_session=" .. cookie .. "; gl_device=" .. device,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, "csrf_token=" .. csrf)
    end
    i = i + 1
  end
end

function request()
  pos = pos + 1
  if pos > #rows then
    if not healthz then
      exhausted = exhausted + 1
    end
    pos = 1
  end
  return rows[pos]
end

function response(status, headers, body)
  if healthz then
    if status ~= 200 then
      bad = bad + 1
    end
    return
  end
  local location = headers["Location"] or ""
  if status ~= 303 or not location:find("/checkin/result", 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_bad, total_exhausted = 0, 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
    total_exhausted = total_exhausted + thread:get("exhausted")
  end
  io.write(string.format("GL_BAD %d\n", total_bad))
  io.write(string.format("GL_EXHAUSTED %d\n", total_exhausted))
  io.write(string.format("GL_P50 %.1fms\n", latency:percentile(50) / 1000))
  io.write(string.format("GL_P99 %.1fms\n", latency:percentile(99) / 1000))
end
