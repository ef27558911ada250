#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Runs one shell command in a test VM through its control socket (the QEMU chardev of
# the virtio-serial port served by guest/agent.py) and exits with its status.
#
# Usage: vmctl.py SOCKET TIMEOUT COMMAND
#   prints the command's output (stdout and stderr together); exit status is the
#   command's, 124 if it timed out in the guest, 125 if the VM did not answer in
#   TIMEOUT + 20 s (e.g. still booting, or hung) or if the process XLB_VMCTL_PID (the
#   VM's QEMU, when set) exits meanwhile.
import json
import os
import socket
import sys
import time


def qemu_gone():
    pid = int(os.environ.get("XLB_VMCTL_PID", "0") or 0)
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: vmctl.py SOCKET TIMEOUT COMMAND\n")
        return 2
    path, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    deadline = time.monotonic() + timeout + 20
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.connect(path)
            break
        except OSError:
            if qemu_gone():
                sys.stderr.write("vmctl: the VM's QEMU exited\n")
                return 125
            if time.monotonic() > deadline:
                sys.stderr.write("vmctl: cannot connect to %s\n" % path)
                return 125
            time.sleep(0.2)
    rid = "%d.%d" % (os.getpid(), time.monotonic_ns())
    s.sendall((json.dumps({"id": rid, "cmd": cmd, "timeout": timeout}) + "\n").encode())
    buf = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.stderr.write("vmctl: no answer within %.0f s\n" % (timeout + 20))
            return 125
        s.settimeout(min(left, 2))
        try:
            data = s.recv(65536)
        except socket.timeout:
            if qemu_gone():
                sys.stderr.write("vmctl: the VM's QEMU exited\n")
                return 125
            continue
        if not data:
            sys.stderr.write("vmctl: %s closed\n" % path)
            return 125
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                resp = json.loads(line)
            except ValueError:
                continue
            if resp.get("id") != rid:
                continue  # the answer to an earlier, abandoned request
            sys.stdout.write(resp["out"])
            sys.stdout.flush()
            return int(resp["rc"])


if __name__ == "__main__":
    sys.exit(main())
