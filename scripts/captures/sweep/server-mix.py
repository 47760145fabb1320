#!/usr/bin/env python3
"""server-mix.py ADDR PORT: each connection's first line names what the server does."""
import socket, struct, sys, threading, time
addr, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
ls = socket.socket(fam, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port)); ls.listen(128)
print('listening', flush=True)
kept = []
def drain(c):
    try:
        while c.recv(65536): pass
    except OSError: pass
def line(c):
    buf = b''
    while not buf.endswith(b'\n'):
        d = c.recv(1)
        if not d: break
        buf += d
    return buf.decode().split()
def handle(c):
    try:
        w = line(c)
        if not w: c.close(); return
        m = w[0]
        if m in ('echo', 'leak', 'closelater'):
            c.sendall(b'ok\n')
            while True:
                d = c.recv(65536)
                if not d: break
                c.sendall(d)
            if m == 'leak': kept.append(c); return
            if m == 'closelater': time.sleep(1)
            c.close()
        elif m == 'closefirst':
            c.sendall(b'bye\n'); c.close()
        elif m == 'sim':
            c.sendall(b'ok\n'); t = float(w[1]); time.sleep(max(0, t - time.time()))
            c.shutdown(socket.SHUT_WR); drain(c); c.close()
        elif m == 'srvrst':
            c.sendall(b'ok\n'); time.sleep(0.1)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()
        elif m == 'stream':
            drain(c)
            for _ in range(int(w[1])):
                c.sendall(b'r' * 1024); time.sleep(0.1)
            c.close()
        elif m == 'unread':
            c.sendall(b'u' * 20000); drain(c); c.close()
        elif m == 'zw':
            kept.append(c)
        elif m == 'idle':
            c.sendall(b'ok\n'); kept.append(c)
        else:
            c.close()
    except OSError:
        try: c.close()
        except OSError: pass
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
