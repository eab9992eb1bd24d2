-- wrk script of the API benchmark (bench/api_throughput.py).
--
-- wrk ... -s bench/wrk_api.lua URL -- MODE DATAFILE THREADS EPOCH
--   MODE: django | drf | today | plan | completion
--   DATAFILE: one line per patient: "token plan_id prescription_id,prescription_id,..."
--   EPOCH: a different number for every wrk run against the same data, so that
--          completions never repeat (see below).
-- Each wrk thread takes every THREADS-th patient and cycles through them, so the
-- requests are spread over all tokens (the write throttle is per user, 120/min).
--
-- completion: every request logs a new (prescription, date, session): session 1,
-- the patient's prescriptions in turn, one day further back after each round of
-- them, starting 1 + 40 * EPOCH days before today. Every answer is a 201, never an
-- idempotent 200 replay.

local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end

local patients = {}
local mode = "drf"
local epoch = 0
local position = 0
local sent = {}

local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text, "([^" .. separator .. "]+)") do
    parts[#parts + 1] = part
  end
  return parts
end

function init(args)
  mode = args[1]
  local threads = tonumber(args[3])
  epoch = tonumber(args[4] or "0")
  local index = 0
  for line in io.lines(args[2]) do
    if index % threads == tid then
      local fields = split(line, " ")
      patients[#patients + 1] = {
        auth = "Bearer " .. fields[1],
        plan = fields[2],
        prescriptions = split(fields[3], ","),
      }
    end
    index = index + 1
  end
end

local paths = { django = "/bench/django/", drf = "/bench/drf/", today = "/api/v1/me/today/" }
local now = os.time()

function request()
  position = position + 1
  local patient = patients[(position - 1) % #patients + 1]
  local headers = { ["Authorization"] = patient.auth, ["Accept"] = "application/json" }
  if mode == "plan" then
    return wrk.format("GET", "/api/v1/me/plans/" .. patient.plan .. "/", headers)
  elseif mode == "completion" then
    local count = (sent[patient.plan] or 0)
    sent[patient.plan] = count + 1
    local n = #patient.prescriptions
    local prescription = patient.prescriptions[count % n + 1]
    local days_back = 1 + 40 * epoch + math.floor(count / n)
    local day = os.date("!%Y-%m-%d", now - days_back * 86400)
    headers["Content-Type"] = "application/json"
    local body = string.format(
      '{"prescription": %s, "date": "%s", "session": 1, "sets_done": 2, "reps_done": 10, "pain_during": 2}',
      prescription, day
    )
    return wrk.format("POST", "/api/v1/me/completions/", headers, body)
  end
  return wrk.format("GET", paths[mode], headers)
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout
  ))
end
