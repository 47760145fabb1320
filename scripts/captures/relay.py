#!/usr/bin/env python3
"""A cable with faults between two tap devices, for capture scenarios (no netem needed).

usage: relay.py A B [--monitor M --near A|B --vlan VID[,VID]] [--loss P] [--delay MS]
                   [--reorder P --hold MS] [--seed N]

How it works: it opens tap devices A and B (and M) through /dev/net/tun in the current
network namespace and prints "ready"; the caller then moves A and B into the namespaces of
the two hosts (the file descriptors stay attached) and gives them addresses. Every Ethernet
frame a host's kernel sends on its tap is read here and written to the other tap, where the
other kernel receives it, as over a cable, except that each TCP frame is
  - dropped with probability P (--loss),
  - otherwise held DELAY ms (--delay), and with probability P (--reorder) HOLD ms more
    (--hold): the frames sent after it overtake it, as on a path that reorders.
ARP, neighbour discovery and other frames pass at once, so the hosts always find each other.

The capture point: with --monitor, a copy of every frame as it crosses the link at the NEAR
host goes to tap M, tagged as on a trunk port: one 802.1Q tag (--vlan 100) or two, an 802.1ad
outer tag and an 802.1Q inner one (--vlan 200,100, QinQ). NEAR's own frames are copied as
they leave it, before any fault; the other host's frames as they reach NEAR, after loss,
delay and reordering. tcpdump on M (left in a namespace of its own) records that link.

Faults come from random.Random(SEED), two draws per TCP frame in the order frames arrive:
the same seed and the same traffic give the same faults. Runs until SIGTERM or SIGINT, then
prints what it did.
"""
import argparse, fcntl, heapq, os, random, select, signal, struct, sys, time

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000


def open_tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def is_tcp(frame):
    ethertype = frame[12:14]
    if ethertype == b'\x08\x00':
        return len(frame) > 23 and frame[23] == 6  # IPv4 protocol
    if ethertype == b'\x86\xdd':
        return len(frame) > 20 and frame[20] == 6  # IPv6 next header
    return False


def tagger(vids):
    """Inserts the tags after the MAC addresses: 802.1Q for one VID, 802.1ad + 802.1Q for two."""
    if len(vids) == 1:
        tags = struct.pack('!HH', 0x8100, vids[0])
    else:
        tags = struct.pack('!HHHH', 0x88A8, vids[0], 0x8100, vids[1])
    return lambda frame: frame[:12] + tags + frame[12:]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('a')
    p.add_argument('b')
    p.add_argument('--monitor')
    p.add_argument('--near', help='the tap (A or B) at whose link the monitor copies frames')
    p.add_argument('--vlan', default='100', help='VID, or OUTER,INNER for QinQ')
    p.add_argument('--loss', type=float, default=0.0)
    p.add_argument('--delay', type=float, default=0.0, help='ms')
    p.add_argument('--reorder', type=float, default=0.0, help='probability that a frame is held back')
    p.add_argument('--hold', type=float, default=0.0, help='ms a held-back frame waits more')
    p.add_argument('--seed', type=int, default=1)
    args = p.parse_args()

    a, b = open_tap(args.a), open_tap(args.b)
    other = {a: b, b: a}
    monitor = open_tap(args.monitor) if args.monitor else None
    near = {args.a: a, args.b: b}.get(args.near) if monitor is not None else None
    tag = tagger([int(v) for v in args.vlan.split(',')])
    rng = random.Random(args.seed)
    held = []  # (due, arrival number, output fd, frame)
    stats = {'frames': 0, 'tcp': 0, 'dropped': 0, 'reordered': 0}
    last_delivered = {a: -1, b: -1}  # per output: arrival number of the last TCP frame written

    def write(fd, frame):
        try:
            os.write(fd, frame)
        except OSError:
            pass  # the tap is not up yet: the frame is lost, as on an unplugged cable

    def deliver(out, frame):
        write(out, frame)
        if out == near:
            write(monitor, tag(frame))

    def report(*_):
        print('relay: %(frames)d frames, %(tcp)d TCP, %(dropped)d dropped, %(reordered)d reordered' % stats, flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    signal.signal(signal.SIGINT, report)
    print('ready', flush=True)
    readers = [a, b] + ([monitor] if monitor is not None else [])
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        ready, _, _ = select.select(readers, [], [], timeout)
        for fd in ready:
            frame = os.read(fd, 65536)
            if fd == monitor:
                continue  # the monitor's own kernel traffic goes nowhere
            stats['frames'] += 1
            if fd == near:
                write(monitor, tag(frame))
            if not is_tcp(frame):
                deliver(other[fd], frame)
                continue
            stats['tcp'] += 1
            lost, late = rng.random() < args.loss, rng.random() < args.reorder
            wait = args.delay + (args.hold if late else 0)
            if lost:
                stats['dropped'] += 1
            else:
                heapq.heappush(held, (time.monotonic() + wait / 1000, stats['tcp'], other[fd], frame))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, number, out, frame = heapq.heappop(held)
            if number < last_delivered[out]:
                stats['reordered'] += 1
            last_delivered[out] = max(last_delivered[out], number)
            deliver(out, frame)


main()
