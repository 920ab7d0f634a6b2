#!/usr/bin/env python3
"""Server memory per idle connection in line mode: start `EchoExample --mode line`, open N
connections that each send one line and read its answer, hold them, and report the growth of
the server's resident set divided by N. Loopback only; every step is bounded in time.

    Benchmarks/Scripts/line-idle-rss.py [--api async|handler] [--conns N] BINARY [BINARY ...]

Prints one line per binary:
    LINE_IDLE binary=PATH api=API conns=N rss_before_kib=N rss_after_kib=N bytes_per_conn=N
N must stay under the descriptor limit (the client holds N sockets, the server N more).
"""
import argparse
import socket
import subprocess
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def wait_for_port(port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def measure(binary, api, conns, port):
    server = subprocess.Popen(
        ["taskset", "-c", "0", binary, "--listen", f"127.0.0.1:{port}", "--threads", "1",
         "--api", api, "--mode", "line"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    held = []
    try:
        wait_for_port(port)
        time.sleep(0.5)
        before = rss_kib(server.pid)
        for _ in range(conns):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(b"hi\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = client.recv(64)
                if not chunk:
                    raise RuntimeError("the server closed a connection before answering")
                answer += chunk
            if answer != b"Echo: hi\n":
                raise RuntimeError(f"unexpected answer {answer!r}")
            held.append(client)
        time.sleep(1)
        after = rss_kib(server.pid)
        print(f"LINE_IDLE binary={binary} api={api} conns={conns} rss_before_kib={before} "
              f"rss_after_kib={after} bytes_per_conn={(after - before) * 1024 // conns}", flush=True)
    finally:
        for client in held:
            client.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", choices=["async", "handler"], default="async")
    parser.add_argument("--conns", type=int, default=5000)
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    for index, binary in enumerate(args.binaries):
        measure(binary, args.api, args.conns, 19450 + index)


if __name__ == "__main__":
    main()
