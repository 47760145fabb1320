#!/usr/bin/env python3
"""Client for capture scenarios.
usage: client.py ADDR PORT COUNT PAUSE MODE
  MODE close   - request, read the echo, close first (active closer), socket released
  MODE halfclose - request, read, shutdown(SHUT_WR) and keep the socket (FIN_WAIT2 stays visible)
  MODE wait    - request, then wait for the server to close, then close (passive closer)
  MODE linger0 - request, read, close with SO_LINGER 0 (RST abort)
  MODE connect - only connect (refused or unanswered SYNs); errors are expected
  MODE idle    - connect and hold the connection idle
  MODE keepalive - connect, enable keepalive probes every second, hold idle
  MODE flood   - send as fast as possible for 3 s (the server does not read: zero window)
  MODE slow    - connect, wait 2 s, then request, read and close first (for a capture started mid-stream)
  MODE bind:PORT - from a fixed source port (the same 4-tuple every time), wait for the server to close, then close
  MODE bindclose:PORT - from a fixed source port: request, read the echo, close first
  MODE simclose - request, read the echo, then on SIGUSR1 shutdown(SHUT_WR), read to the end and close
  MODE overlap - after 1 s send 100 bytes, after 1 s more 60 bytes, then close first (segments to forge against)
  MODE request - send a request, shutdown(SHUT_WR) at once, read the answer to its end, close (a half-close)
  MODE bulk:BYTES - send BYTES, shutdown(SHUT_WR), read the echo to its end, close (client closes first)
  MODE closeafter:SECONDS - request, read the echo, wait, close() without shutdown: the socket is orphaned
  MODE late:MS - connect, set TCP_USER_TIMEOUT MS (0: none), after 1 s send 1000 bytes, hold the socket
  MODE keepalive:COUNT - keepalive with TCP_KEEPCNT COUNT (probes every second), hold idle
  MODE tfo     - TCP Fast Open: the request goes with the SYN (sendto MSG_FASTOPEN), read the echo, close first
  MODE closelate:SECONDS - send a request, read nothing, close() after SECONDS
"""
import signal, socket, struct, sys, time

addr, port, count, pause, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
family = socket.AF_INET6 if ':' in addr else socket.AF_INET
held = []


def close_first(s):
    """shutdown(SHUT_WR), read the peer's data to its FIN, close: the active close."""
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()


for i in range(count):
    s = socket.socket(family, socket.SOCK_STREAM)
    if mode.startswith('bind:') or mode.startswith('bindclose:'):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('', int(mode.split(':')[1])))
    try:
        if mode == 'tfo':
            s.sendto(b'GET /item/%d\n' % i, socket.MSG_FASTOPEN, (addr, port))
        else:
            s.connect((addr, port))
    except OSError as e:
        print('connect:', e, flush=True)
        s.close()
        time.sleep(pause)
        continue
    if mode == 'connect' or mode == 'idle':
        held.append(s)
        continue
    if mode == 'keepalive' or mode.startswith('keepalive:'):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        if ':' in mode:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, int(mode.split(':')[1]))
        held.append(s)
        continue
    if mode.startswith('late:'):
        timeout = int(mode.split(':')[1])
        if timeout:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, timeout)
        time.sleep(1)
        s.send(b'd' * 1000)
        held.append(s)
        continue
    if mode.startswith('bulk:'):
        s.sendall(b'b' * int(mode.split(':')[1]))
        close_first(s)
        time.sleep(pause)
        continue
    if mode.startswith('closeafter:'):
        s.sendall(b'GET /item/%d\n' % i)
        s.recv(4096)
        time.sleep(float(mode.split(':')[1]))
        s.close()
        time.sleep(pause)
        continue
    if mode.startswith('closelate:'):
        s.sendall(b'GET /item/%d\n' % i)
        time.sleep(float(mode.split(':')[1]))
        s.close()
        time.sleep(pause)
        continue
    if mode == 'tfo':
        s.recv(4096)
        close_first(s)
        time.sleep(pause)
        continue
    if mode == 'flood':
        s.settimeout(3)
        try:
            while True:
                s.send(b'x' * 65536)
        except OSError:
            pass
        held.append(s)
        continue
    if mode == 'simclose':
        signal.signal(signal.SIGUSR1, lambda *_: s.shutdown(socket.SHUT_WR))
        s.sendall(b'hello\n')
        s.recv(4096)
        while s.recv(4096):
            pass
        s.close()
        continue
    if mode == 'overlap':
        time.sleep(1)
        s.sendall(b'A' * 100)
        time.sleep(1)
        s.sendall(b'C' * 60)
        time.sleep(0.5)
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass
        s.close()
        continue
    if mode == 'request':
        s.sendall(b'GET /report\n')
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass
        s.close()
        continue
    if mode == 'slow':
        time.sleep(2)
    if mode == 'wait' or mode.startswith('bind:'):
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
            close_first(s)
    time.sleep(pause)
if held:
    time.sleep(3600)  # hold the sockets open until killed
