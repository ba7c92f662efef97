-- wrk script: POSTs demo questions to the chat endpoint in rotation; the bot id comes from the BOT env variable.
local questions = {
  "How much is shipping?",
  "How many days do I have to return a bike?",
  "When is the Seattle store open?",
  "How much weight can the Haul carry?",
  "Do you sell electric scooters?",
  "How do I reset my password?",
  "How much does a hydraulic brake bleed cost?",
  "Can I pay in monthly installments?",
}
local bot = os.getenv("BOT")
local counter = 0

request = function()
  counter = counter + 1
  local body = '{"message":"' .. questions[(counter % #questions) + 1] .. '"}'
  return wrk.format("POST", "/api/v1/bots/" .. bot .. "/chat", {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
