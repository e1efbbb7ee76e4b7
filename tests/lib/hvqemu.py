# SPDX-License-Identifier: Apache-2.0
"""Boots hv under QEMU (TCG, AMD SVM + NPT emulated) and captures its serial
console, each line stamped with the host time since QEMU was started."""
import os
import re
import selectors
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What QEMU's isa-debug-exit turns hv's codes into: (code << 1) | 1.
EXIT_DEBUG_SUCCESS = 1
EXIT_DEBUG_PANIC = 3


def image_path():
    """The image `bazel build //hv:image` made (tests/run builds it first)."""
    path = os.environ.get("HV_IMAGE") or os.path.join(ROOT, "bazel-bin", "hv", "image")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: build it with `bazel build //hv:image`")
    return path


class BootResult:
    def __init__(self, lines, exit_code, timed_out, argv):
        self.lines = lines  # [(seconds since QEMU start, text)]
        self.exit_code = exit_code
        self.timed_out = timed_out
        self.argv = argv

    @property
    def text(self):
        return "\n".join(t for _, t in self.lines)

    def find(self, pattern):
        """The first match of pattern in any line, or None."""
        rx = re.compile(pattern)
        for _, text in self.lines:
            m = rx.search(text)
            if m:
                return m
        return None

    def find_all(self, pattern):
        rx = re.compile(pattern)
        return [m for _, text in self.lines for m in [rx.search(text)] if m]

    def time_of(self, pattern):
        """Host seconds from QEMU's start to the first line matching pattern."""
        rx = re.compile(pattern)
        for t, text in self.lines:
            if rx.search(text):
                return t
        return None

    def tail(self, n=40):
        return "\n".join(t for _, t in self.lines[-n:])


def boot(smp=1, mem="512M", append="", timeout=180, until=None, until_count=1, extra=(), send=(),
         kernel=None, initrd=None):
    """Runs one boot to its end (QEMU exits) or until the timeout; with
    `until` (a regex), stops QEMU as soon as `until_count` lines matched it. `send` is a
    list of (regex, bytes): the bytes are typed on hv's console once a line
    matches the regex, each pair once, in order. `kernel` (and `initrd`) boot
    that kernel directly instead of hv (tests/linux/direct_boot.py)."""
    boot_files = ["-kernel", kernel or image_path(), "-append", append]
    if initrd:
        boot_files += ["-initrd", initrd]
    argv = [
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-machine", "pc",
        "-smp", str(smp), "-m", mem,
        "-nodefaults", "-no-user-config", "-display", "none",
        "-serial", "stdio", "-monitor", "none", "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        *boot_files, *extra,
    ]
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if send else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    pending = [(re.compile(rx), data) for rx, data in send]
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    lines, buf, timed_out = [], b"", False
    stop_rx = re.compile(until) if until else None
    stop_seen = 0
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            if not sel.select(min(left, 1.0)):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            now = time.monotonic() - start
            buf += chunk
            *complete, buf = buf.split(b"\n")
            done = False
            for raw in complete:
                text = raw.decode("utf-8", "replace").rstrip("\r")
                lines.append((now, text))
                if stop_rx and stop_rx.search(text):
                    stop_seen += 1
                    done = stop_seen >= until_count
                if pending and pending[0][0].search(text):
                    proc.stdin.write(pending.pop(0)[1])
                    proc.stdin.flush()
            if done:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if buf:
            lines.append((time.monotonic() - start, buf.decode("utf-8", "replace").rstrip("\r")))
    return BootResult(lines, proc.returncode, timed_out, argv)
