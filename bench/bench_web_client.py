"""Web API client cost: slack_sdk's stock ``WebClient`` versus ``KeepAliveWebClient``, side by side.

Run:  .venv/bin/python -m bench.bench_web_client [--calls 2000] [--rounds 3]

FakeSlack runs in a process of its own (answering at once), so this process's CPU is the
client's alone. Each round times ``--calls`` ``chat_postMessage`` calls from one thread with
each client in turn (after 50 untimed warm-up calls): wall time gives calls per second, and
``time.thread_time()`` of the calling thread the client's CPU per call. FakeSlack's CPU per call
(from /proc) is the other side's share. The table shows the median round. Plain HTTP on
loopback: in production each new connection also costs a TLS handshake, which keep-alive saves too.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slack_sdk import WebClient

from bench.common import machine
from bot.web_transport import KeepAliveWebClient

TOKEN = "xoxb-bench"
WARM_UP = 50


@dataclass
class Round:
    calls_per_s: float
    client_cpu_us: float
    server_cpu_us: float


def serve_fake_slack() -> int:
    """The Web API process: FakeSlack on a free port, printed on stdout, until SIGTERM."""
    from tests.fakes.slack_api import FakeSlack

    slack = FakeSlack().start()
    print(slack.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        if len(slack.calls()) > 20_000:
            slack.reset()  # keep memory flat; nothing reads old calls
    slack.stop()
    return 0


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client: WebClient, calls: int, server_pid: int) -> Round:
    for _ in range(WARM_UP):
        client.chat_postMessage(channel="C0BENCH", text="warm-up")
    server_cpu, cpu, wall = process_cpu_s(server_pid), time.thread_time(), time.perf_counter()
    for i in range(calls):
        client.chat_postMessage(channel="C0BENCH", text=f"bench {i}")
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    server_cpu = process_cpu_s(server_pid) - server_cpu
    return Round(calls / wall, cpu / calls * 1e6, server_cpu / calls * 1e6)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="timed chat_postMessage calls per client and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each runs both clients, in turn")
    parser.add_argument("--serve", action="store_true", help="(internal) be the FakeSlack process")
    args = parser.parse_args(argv)
    if args.serve:
        return serve_fake_slack()

    server = subprocess.Popen([sys.executable, "-m", "bench.bench_web_client", "--serve"], stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None
        base_url = f"http://127.0.0.1:{int(server.stdout.readline())}/api/"
        clients: dict[str, WebClient] = {
            "`WebClient` (stock, urllib: a connection per call)": WebClient(token=TOKEN, base_url=base_url),
            "`KeepAliveWebClient` (http.client, kept per thread)": KeepAliveWebClient(token=TOKEN, base_url=base_url),
        }
        rounds: dict[str, list[Round]] = {name: [] for name in clients}
        for _ in range(args.rounds):
            for name, client in clients.items():
                rounds[name].append(measure(client, args.calls, server.pid))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    print(
        f"\n### Web API client: {args.calls:,} `chat_postMessage` calls from one thread, FakeSlack in its own process\n"
    )
    print(f"Machine: {machine()}. Median of {args.rounds} rounds; in each, the clients run in turn.\n")
    print("| client | calls/s | client CPU per call | FakeSlack CPU per call |")
    print("|---|---|---|---|")
    medians = [
        Round(*(statistics.median(getattr(r, column) for r in runs) for column in Round.__dataclass_fields__))
        for runs in rounds.values()
    ]
    for name, median in zip(rounds, medians, strict=True):
        print(f"| {name} | {median.calls_per_s:,.0f} | {median.client_cpu_us:.0f} µs | {median.server_cpu_us:.0f} µs |")
    stock, kept = medians
    print(
        f"\nKeep-alive / stock, CPU per call: client {kept.client_cpu_us / stock.client_cpu_us:.2f}, "
        f"FakeSlack {kept.server_cpu_us / stock.server_cpu_us:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
