#!/usr/bin/env python3
"""Chat latency as one visitor after another sees it: sequential POSTs to a bot's chat endpoint at a fixed pace, each
question asked once (a numbered variant of the demo questions, so no question vector comes from the cache), until a
duration passes or, with --until-job-done, until the bot's `embed` job has finished. Prints one JSON line: requests,
p50/p90/p99/max in ms, errors, and (with --api-key) the embed job's chunks embedded per second meanwhile.

Usage: chat_probe.py PORT BOT [--seconds S] [--interval-ms MS] [--api-key KEY] [--until-job-done]
"""
import argparse
import http.client
import json
import os
import time

QUESTIONS = [
    "How much is shipping?", "How many days do I have to return a bike?", "When is the Seattle store open?",
    "How much weight can the Haul carry?", "Do you sell electric scooters?", "How do I reset my password?",
    "How much does a hydraulic brake bleed cost?", "Can I pay in monthly installments?",
    "How long does the battery take to charge?", "Is the helmet included with the bike?",
]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def embed_job(connection, bot, key):
    connection.request("GET", f"/api/v1/bots/{bot}/jobs", headers={"Authorization": f"Bearer {key}"})
    jobs = json.loads(connection.getresponse().read())["jobs"]
    return next((job for job in jobs if job["kind"] == "embed"), None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("bot")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval-ms", type=float, default=50)
    parser.add_argument("--api-key")
    parser.add_argument("--until-job-done", action="store_true")
    args = parser.parse_args()
    chat = http.client.HTTPConnection("127.0.0.1", args.port)
    admin = http.client.HTTPConnection("127.0.0.1", args.port)
    latencies, errors, asked = [], 0, 0
    started = time.monotonic()
    first = last = None
    next_poll = started
    salt = os.getpid()
    while True:
        now = time.monotonic()
        if args.until_job_done:
            if now >= next_poll:
                job = embed_job(admin, args.bot, args.api_key)
                next_poll = now + 0.5
                if job:
                    embedded = job["progress"].get("embedded", 0)
                    first = first or (now, embedded)
                    last = (now, embedded)
                    if job["state"] in ("succeeded", "failed", "cancelled"):
                        break
            if now - started > 600:
                break
        elif now - started >= args.seconds:
            break
        question = f"{QUESTIONS[asked % len(QUESTIONS)]} ({salt}-{asked})"
        body = json.dumps({"message": question})
        sent = time.monotonic()
        chat.request("POST", f"/api/v1/bots/{args.bot}/chat", body=body, headers={"Content-Type": "application/json"})
        response = chat.getresponse()
        response.read()
        latencies.append((time.monotonic() - sent) * 1000)
        errors += response.status != 200
        asked += 1
        pause = args.interval_ms / 1000 - (time.monotonic() - sent)
        if pause > 0:
            time.sleep(pause)
    result = {
        "requests": asked, "errors": errors,
        "p50_ms": round(percentile(latencies, 0.5), 2), "p90_ms": round(percentile(latencies, 0.9), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2), "max_ms": round(max(latencies, default=0), 2),
        "seconds": round(time.monotonic() - started, 1),
    }
    if first and last and last[0] > first[0]:
        result["embedded_per_s"] = round((last[1] - first[1]) / (last[0] - first[0]), 1)
        result["embedded"] = last[1]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
