#!/usr/bin/env python3
"""Client for capture scenarios.
usage: client.py ADDR PORT COUNT PAUSE MODE
  MODE close   - request, read the echo, close first (active closer), socket released
  MODE halfclose - request, read, shutdown(SHUT_WR) and keep the socket (FIN_WAIT2 stays visible)
  MODE wait    - request, then wait for the server to close, then close (passive closer)
  MODE linger0 - request, read, close with SO_LINGER 0 (RST abort)
  MODE connect - only connect (refused or unanswered SYNs); errors are expected
  MODE idle    - connect and hold the connection idle
"""
import socket, struct, sys, time

addr, port, count, pause, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
family = socket.AF_INET6 if ':' in addr else socket.AF_INET
held = []
for i in range(count):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.connect((addr, port))
    except OSError as e:
        print('connect:', e, flush=True)
        s.close()
        time.sleep(pause)
        continue
    if mode == 'connect' or mode == 'idle':
        held.append(s)
        continue
    if mode == 'wait':
        while s.recv(4096):
            pass
        s.close()
    else:
        s.sendall(b'GET /item/%d\n' % i)
        s.recv(4096)
        if mode == 'halfclose':
            s.shutdown(socket.SHUT_WR)
            held.append(s)
        elif mode == 'linger0':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            s.close()
        else:
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
            s.close()
    time.sleep(pause)
time.sleep(3600)
