#!/usr/bin/env python3
"""What an unpacked release costs on this host (usage: footprint.py HOME DIR [LOAD_SECONDS]):

- start-up, median of 5: from exec of `bin/udsink serve` (defaults, --out off) until its socket
  exists; the same for `bin/udsink count`; and `bin/udsink send --count 1` from exec to exit;
- idle: resident memory (VmRSS) and threads of serve after 10 s with nothing to do;
- load: VmRSS of serve (defaults, JSON lines to /dev/null) after LOAD_SECONDS (default 60) of
  30,000 lines/s over 10,000 series (counters, gauges and timers with two tags each), and its
  peak (VmHWM).

Prints key=value lines; DIR holds the sockets."""
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError("no %s for %d" % (key, pid))


def start(cmd, sock):
    if os.path.exists(sock):
        os.unlink(sock)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(sock):
        if p.poll() is not None or time.monotonic() - t0 > 30:
            raise RuntimeError("%s did not bind %s" % (cmd, sock))
        time.sleep(0.0005)
    return p, time.monotonic() - t0


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(60)


def main():
    home, d = sys.argv[1], sys.argv[2]
    load_seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    udsink = os.path.join(home, "bin", "udsink")
    sock = os.path.join(d, "f.sock")
    serve = [udsink, "serve", "--socket", sock, "--out", "off"]

    ready, counted, sent = [], [], []
    for _ in range(5):
        p, t = start(serve, sock)
        ready.append(t)
        stop(p)
        p, t = start([udsink, "count", "--socket", sock], sock)
        counted.append(t)
        t0 = time.monotonic()
        subprocess.run([udsink, "send", "--socket", sock, "--count", "1"],
                       stdout=subprocess.DEVNULL, check=True)
        sent.append(time.monotonic() - t0)
        stop(p)
    print("serve_ready_s=%.3f" % statistics.median(ready))
    print("count_ready_s=%.3f" % statistics.median(counted))
    print("send_s=%.3f" % statistics.median(sent))

    p, _ = start(serve, sock)
    time.sleep(10)
    print("idle_rss_mib=%.1f" % (status(p.pid, "VmRSS") / 1024))
    print("idle_threads=%d" % status(p.pid, "Threads"))
    stop(p)

    p, _ = start([udsink, "serve", "--socket", sock, "--out", "/dev/null"], sock)
    lines = []
    for i in range(10_000):
        tags = b"|#service:s%d,env:production" % (i % 50)
        kind = (b"c", b"g", b"ms")[i % 3]
        lines.append(b"footprint.metric.%d:%d|%s%s" % (i, i % 97, kind, tags))
    datagrams = [b"\n".join(lines[j:j + 30]) for j in range(0, len(lines), 30)]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    per_second = 1000  # datagrams of 30 lines: 30,000 lines/s
    t0 = time.monotonic()
    n = 0
    while True:
        elapsed = time.monotonic() - t0
        if elapsed >= load_seconds:
            break
        due = int(elapsed * per_second)
        while n < due:
            s.sendto(datagrams[n % len(datagrams)], sock)
            n += 1
        time.sleep(0.002)
    s.close()
    print("load_lines=%d" % (n * 30))
    print("load_rss_mib=%.1f" % (status(p.pid, "VmRSS") / 1024))
    print("load_peak_rss_mib=%.1f" % (status(p.pid, "VmHWM") / 1024))
    print("load_threads=%d" % status(p.pid, "Threads"))
    stop(p)


if __name__ == "__main__":
    main()
