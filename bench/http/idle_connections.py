#!/usr/bin/env python3
"""RSS of `parley serve` holding N idle keep-alive connections (default 1,000), each of which has made one request.

Usage: bench/http/idle_connections.py [--parley build/src/app/parley] [--connections 1000]
"""
import argparse
import json
import os
import re
import resource
import socket
import subprocess
import tempfile
import time


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", default=os.path.join(repo, "build", "src", "app", "parley"))
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.connections * 2 + 100)), hard))
    with tempfile.TemporaryDirectory() as data:
        init = json.loads(subprocess.check_output([args.parley, "--data", data, "init", "--demo", "--json"]))
        server = subprocess.Popen([args.parley, "--data", data, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
        try:
            port = None
            while port is None:
                line = server.stdout.readline()
                match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if match:
                    port = int(match.group(1))
            time.sleep(0.2)
            baseline = rss_mb(server.pid)
            body = '{"message":"How much is shipping?"}'
            request = (f"POST /api/v1/bots/{init['demo_bot_id']}/chat HTTP/1.1\r\nHost: x\r\n"
                       f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}")
            sockets = []
            for _ in range(args.connections):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(request.encode())
                sockets.append(s)
            for s in sockets:
                data_in = b""
                while b"\r\n\r\n" not in data_in:
                    data_in += s.recv(65536)
            time.sleep(0.5)
            loaded = rss_mb(server.pid)
            print(f"RESULT connections={len(sockets)} rss_baseline_mb={baseline:.1f} rss_with_idle_connections_mb={loaded:.1f}")
            for s in sockets:
                s.close()
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
