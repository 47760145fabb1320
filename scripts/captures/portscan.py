#!/usr/bin/env python3
"""A connect() scan of ports FIRST..LAST: usage portscan.py ADDR FIRST LAST"""
import socket, sys
addr, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for port in range(first, last + 1):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect((addr, port))
    except OSError:
        pass
    s.close()
