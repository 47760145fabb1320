#!/usr/bin/env python3
"""Listener for capture scenarios.
usage: server.py ADDR PORT MODE [COUNT]
  MODE close     - read until the client's FIN, then close (passive closer)
  MODE leak      - read until the client's FIN, never close (CLOSE_WAIT leak)
  MODE closefirst - send a line and close first (server is the active closer)
  MODE closelater - read until the client's FIN, wait 2 s, then close
  MODE noread  - accept with a small receive buffer and never read (zero window)
  MODE simclose - echo until SIGUSR1, then shutdown(SHUT_WR), read to the end and close
  MODE noaccept - listen with a backlog of 4 and never accept: the accept queue fills (it holds 5)
  MODE stream  - read the request to the client's FIN, then send 1 KiB every 0.5 s for 6 s, then close
  MODE tfo     - as close, on a listener that accepts TCP Fast Open (data in the SYN)
  MODE abort   - read the request, send a line, 0.3 s later close with SO_LINGER 0 (RST abort)
"""
import signal, socket, struct, sys, time

addr, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
family = socket.AF_INET6 if ':' in addr else socket.AF_INET
ls = socket.socket(family, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if mode == 'noread':
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
if mode == 'tfo':
    ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    mode = 'close'
ls.bind((addr, port))
ls.listen(4 if mode == 'noaccept' else 128)
print('listening', flush=True)
if mode == 'noaccept':
    time.sleep(3600)
kept = []
for _ in range(count):
    c, _ = ls.accept()
    if mode == 'noread':
        kept.append(c)
        continue
    if mode == 'simclose':
        signal.signal(signal.SIGUSR1, lambda *_: c.shutdown(socket.SHUT_WR))
        c.sendall(c.recv(4096))
        while c.recv(4096):
            pass
        c.close()
        continue
    if mode == 'stream':
        while c.recv(4096):
            pass
        for _ in range(12):
            c.sendall(b'r' * 1024)
            time.sleep(0.5)
        c.close()
        continue
    if mode == 'abort':
        c.recv(4096)
        c.sendall(b'bye\n')
        time.sleep(0.3)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        c.close()
        continue
    if mode == 'closefirst':
        c.sendall(b'bye\n')
        c.close()
        continue
    while True:
        try:
            data = c.recv(4096)
        except ConnectionResetError:
            break  # the client aborted: nothing more to echo
        if not data:
            break
        c.sendall(data)
    if mode == 'closelater':
        time.sleep(2)
    if mode == 'leak':
        kept.append(c)  # the bug: never closed
    else:
        c.close()
time.sleep(3600 if mode in ('leak', 'noread') else 0)
