#!/usr/bin/env python3
"""client-mix.py ADDR PORT SEED N PAR [MODES]: N connections, modes drawn with SEED, PAR at once; held sockets kept until killed."""
import random, socket, struct, sys, threading, time
addr, port, seed, n, par = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
modes = sys.argv[6].split(',') if len(sys.argv) > 6 else ['echo', 'closefirst', 'leak', 'leakheld', 'sim', 'srvrst', 'clirst', 'stream', 'unread', 'idle', 'closelater', 'bulk']
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
rng = random.Random(seed)
plan = [rng.choice(modes) for _ in range(n)]
held = []; sem = threading.Semaphore(par); log = []
def drain(s):
    try:
        while s.recv(65536): pass
    except OSError: pass
def run(i, m):
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(15)
    try:
        if m == 'reuse':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('', 41000 + i % 3))
        s.connect((addr, port))
        if m == 'echo':
            s.sendall(b'echo\nhello %d\n' % i); s.recv(100); s.shutdown(socket.SHUT_WR); drain(s); s.close()
        elif m == 'bulk':
            s.sendall(b'echo\n' + b'b' * 6000); s.shutdown(socket.SHUT_WR); drain(s); s.close()
        elif m == 'closelater':
            s.sendall(b'closelater\n'); s.recv(100); s.shutdown(socket.SHUT_WR); drain(s); s.close()
        elif m == 'reuse':
            s.sendall(b'closefirst\n'); drain(s); s.close()
        elif m == 'ka':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
            s.sendall(b'idle\n'); s.recv(100); held.append(s)
        elif m == 'zw':
            s.sendall(b'zw\n'); s.settimeout(2)
            try:
                while True: s.send(b'z' * 65536)
            except OSError: pass
            held.append(s)
        elif m == 'closefirst':
            s.sendall(b'closefirst\n'); drain(s); s.close()
        elif m == 'leak':
            s.sendall(b'leak\n'); s.recv(100); s.close()
        elif m == 'leakheld':
            s.sendall(b'leak\n'); s.recv(100); s.shutdown(socket.SHUT_WR); held.append(s)
        elif m == 'sim':
            t = time.time() + 0.4
            s.sendall(b'sim %f\n' % t); s.recv(100); time.sleep(max(0, t - time.time()))
            s.shutdown(socket.SHUT_WR); drain(s); s.close()
        elif m == 'srvrst':
            s.sendall(b'srvrst\n'); s.recv(100); drain(s); s.close()
        elif m == 'clirst':
            s.sendall(b'echo\nx\n'); s.recv(100)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
        elif m == 'stream':
            s.sendall(b'stream 8\n'); s.shutdown(socket.SHUT_WR); drain(s); s.close()
        elif m == 'unread':
            s.sendall(b'unread\n'); time.sleep(0.3); s.close()
        elif m == 'idle' or m == 'hold':
            s.sendall(b'idle\n' if m == 'idle' else b'echo\nhi\n'); s.recv(100); held.append(s)
        log.append((i, m, 'ok'))
    except OSError as e:
        log.append((i, m, str(e)))
        s.close()
    finally:
        sem.release()
ts = []
for i, m in enumerate(plan):
    sem.acquire()
    t = threading.Thread(target=run, args=(i, m)); t.start(); ts.append(t)
    time.sleep(0.02)
for t in ts: t.join()
print('done', ' '.join(f'{i}:{m}:{r}' for i, m, r in sorted(log)), flush=True)
if held: time.sleep(3600)
