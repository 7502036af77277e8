#!/usr/bin/env python3
"""Sends N distinct DogStatsD counter series, once each, to every socket named: the population
the remote-write benchmark flushes (usage: series.py N SOCKET...)."""
import socket
import sys


def main():
    n = int(sys.argv[1])
    lines = [
        b"app.requests.s%d:1|c|#endpoint:/api/v%d,code:200" % (i % 1000, i // 1000)
        for i in range(n)
    ]
    for path in sys.argv[2:]:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        d = b""
        for line in lines:
            if len(d) + len(line) + 1 > 8000:
                s.sendto(d, path)
                d = b""
            d += line + b"\n"
        s.sendto(d, path)
        s.close()


if __name__ == "__main__":
    main()
