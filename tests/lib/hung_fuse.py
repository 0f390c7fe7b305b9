#!/usr/bin/python3
"""Mount a FUSE filesystem that never answers, then run a command.

Usage: hung_fuse.py MOUNTPOINT COMMAND [ARG]...

Meant to run inside `unshare -m` (a private mount namespace), as root.  The
kernel queues every request (statfs included) until the server answers
FUSE_INIT, which this one never does: the mount behaves like a dead NFS
server.  When the command ends, this process exits, the /dev/fuse fd
closes, the connection aborts and any thread still blocked gets ENOTCONN.
Exits with the command's status, 124 when it did not end within 10 s,
77 when the FUSE mount itself fails (callers skip).
"""
import os
import subprocess
import sys


def main():
    mnt, cmd = sys.argv[1], sys.argv[2:]
    fd = os.open("/dev/fuse", os.O_RDWR)
    os.set_inheritable(fd, True)
    opts = "fd=%d,rootmode=40000,user_id=0,group_id=0" % fd
    if subprocess.run(["mount", "-t", "fuse", "-o", opts, "hungfs", mnt],
                      pass_fds=(fd,)).returncode != 0:
        sys.exit(77)    # no FUSE here: callers skip
    proc = subprocess.Popen(cmd)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        # Abort the connection: blocked threads get ENOTCONN and return.
        os.close(fd)
        fd = -1
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        rc = 124
    finally:
        if fd >= 0:
            os.close(fd)
        subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
    sys.exit(rc)


if __name__ == "__main__":
    main()
