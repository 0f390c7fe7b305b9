#!/usr/bin/python3
"""Mount a FUSE filesystem that never answers, then run a command.

Usage: hung_fuse.py MOUNTPOINT COMMAND [ARG]...

Meant to run inside `unshare -m` (a private mount namespace), as root.  The
kernel queues every request (statfs included) until the server answers
FUSE_INIT, which this one never does: the mount behaves like a dead NFS
server.  When the command ends, this process exits, the /dev/fuse fd
closes, the connection aborts and any thread still blocked gets ENOTCONN.
Prints the command's output and exits with its status.
"""
import os
import subprocess
import sys


def main():
    mnt, cmd = sys.argv[1], sys.argv[2:]
    fd = os.open("/dev/fuse", os.O_RDWR)
    os.set_inheritable(fd, True)
    opts = "fd=%d,rootmode=40000,user_id=0,group_id=0" % fd
    subprocess.run(["mount", "-t", "fuse", "-o", opts, "hungfs", mnt],
                   check=True, pass_fds=(fd,))
    try:
        rc = subprocess.run(cmd, timeout=30).returncode
    finally:
        os.close(fd)
        subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
    sys.exit(rc)


if __name__ == "__main__":
    main()
