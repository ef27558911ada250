#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The command server of a test VM (started by guest/init.sh). It reads one JSON request
# per line from the virtio-serial port named "xlb.ctl":
#   {"id": N, "cmd": "shell text", "timeout": SECONDS}
# runs `bash -c` on it (stdin /dev/null, stdout and stderr together, its own process
# group, killed at the timeout) and answers one line:
#   {"id": N, "rc": EXIT_STATUS, "out": "OUTPUT"}       (rc 124: timed out)
# Requests run one at a time. A command that leaves a process running must redirect
# that process's output (guest/bin/start does), or the answer waits for it.
# The host side is tests/vm/vmctl.py.
import glob
import json
import os
import signal
import subprocess
import time

PORT_NAME = "xlb.ctl"


def find_port():
    while True:
        for d in glob.glob("/sys/class/virtio-ports/*"):
            try:
                with open(d + "/name") as f:
                    if f.read().strip() == PORT_NAME:
                        return "/dev/" + os.path.basename(d)
            except OSError:
                pass
        time.sleep(0.2)


def run(req):
    try:
        p = subprocess.Popen(["/bin/bash", "-c", req["cmd"]], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd="/root")
    except OSError as e:
        return 127, "vm-agent: %s\n" % e
    try:
        out, _ = p.communicate(timeout=float(req.get("timeout", 60)))
        rc = p.returncode
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            out, _ = p.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            # a process outside the group still holds the output open
            p.stdout.close()
            p.wait()
            out = b""
        out += b"\nvm-agent: timed out after %ss\n" % str(req.get("timeout")).encode()
        rc = 124
    return rc, out.decode("utf-8", "replace")


def write_all(fd, data):
    while data:
        try:
            n = os.write(fd, data)
        except OSError:
            return  # the host went away; it asks again if it cares
        data = data[n:]


def main():
    fd = os.open(find_port(), os.O_RDWR)
    buf = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            time.sleep(0.05)  # no host connected: read returns at once
            continue
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                req = json.loads(line)
            except ValueError:
                continue
            rc, out = run(req)
            write_all(fd, (json.dumps({"id": req.get("id"), "rc": rc, "out": out}) + "\n")
                      .encode())


if __name__ == "__main__":
    main()
