#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Unmodified Linux (Debian's 6.1 cloud kernel, a busybox initramfs) as
boot-time domUs of hv under QEMU: user space, vCPUs, time, memory, power-off
and reboot with their configured actions, several domUs at once, bad kernels.
The kernel comes from Debian's registry (tests/linux/fetch-kernel)."""
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "linux"))
import direct_boot  # noqa: E402  (fetch, initramfs, the expected checksum)
import hvqemu  # noqa: E402
from harness import Suite, expect  # noqa: E402

APPEND = "domains=0 after_boot=poweroff on_panic=debug_exit scrub=0"
LINUX_CMDLINE = "console=ttyS0 quiet panic=-1"
MARKER = r"\(d{id}\) HV-LINUX-USERSPACE-OK"


def boot(domains, extra_modules=(), smp=2, mem="1G", timeout=240, **kw):
    """domains: config lines without kernel/ramdisk (added: modules 1 and 2)."""
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "domains.cfg")
        with open(cfg, "w") as f:
            for line in domains:
                f.write(line.replace("KERNEL", "kernel=1 ramdisk=2") + "\n")
        modules = [cfg, direct_boot.KERNEL, direct_boot.INITRD, *extra_modules]
        return hvqemu.boot(smp=smp, mem=mem, append=APPEND, timeout=timeout,
                           extra=("-initrd", ",".join(modules)), **kw)


def linux(name, hvtest, vcpus=1, memory="256M", more=""):
    return (f'name={name} KERNEL memory={memory} vcpus={vcpus} {more} '
            f'cmdline="{LINUX_CMDLINE} hvtest={hvtest}"')


def check_clean(r):
    expect(not r.timed_out, f"QEMU did not finish in time:\n{r.tail()}")
    expect(not r.find(r"PANIC on CPU"), f"hv panicked:\n{r.tail()}")
    crashed = r.find(r"d\d+ crashed.*")
    expect(not crashed, f"{crashed and crashed.group(0)}\n{r.tail()}")


def nproc(vcpus):
    r = boot([linux("linux", "nproc", vcpus=vcpus)], smp=2)
    check_clean(r)
    expect(r.find(MARKER.format(id=1)), f"no user-space marker:\n{r.tail()}")
    m = r.find(r"\(d1\) HV-NPROC (\d+)")
    expect(m and int(m.group(1)) == vcpus, f"nproc {m and m.group(1)}, the domain has {vcpus}")
    expect(r.exit_code == 0, f"QEMU exit {r.exit_code}")


def sleep5():
    r = boot([linux("linux", "sleep5")])
    check_clean(r)
    start, end = r.time_of(r"HV-SLEEP-START"), r.time_of(r"HV-SLEEP-END")
    expect(start is not None and end is not None, f"no sleep markers:\n{r.tail()}")
    took = end - start
    print(f"  sleep 5 took {took:.3f} s of host time")
    expect(4.5 <= took <= 5.5, f"sleep 5 took {took:.3f} s of host time, not 5 s +-10%")


def checksum():
    r = boot([linux("linux", "sha", vcpus=2)])
    check_clean(r)
    m = r.find(r"\(d1\) HV-SHA256 ([0-9a-f]{64})")
    want = direct_boot.expected_sha256(64)
    expect(m and m.group(1) == want, f"sha256 {m and m.group(1)}, expected {want}")


def poweroff_actions():
    # Default on_poweroff=destroy; and preserve keeps the dead domain.
    r = boot([linux("off", "poweroff"), linux("kept", "poweroff", more="on_poweroff=preserve")])
    check_clean(r)
    expect(r.find(r"\(d1\) HV-POWEROFF") and r.find(r"\(d2\) HV-POWEROFF"), r.tail())
    expect(r.find(r"d1 \(off\): shutting down \(poweroff\)"), "d1 did not power off")
    expect(r.find(r"d1: destroyed"), "on_poweroff=destroy did not destroy d1")
    expect(r.find(r"d2 \(kept\): dead \(poweroff\)"), "d2 did not power off")
    expect(not r.find(r"d2: destroyed"), "on_poweroff=preserve destroyed d2")


def reboot_restarts():
    # Default on_reboot=restart: the domain comes back (a new id) and boots again.
    r = boot([linux("rb", "reboot")], until=r"HV-LINUX-USERSPACE-OK", until_count=2, timeout=120)
    expect(r.find(r"d1 \(rb\): shutting down \(reboot\)"), f"no reboot:\n{r.tail()}")
    expect(r.find(r"rb: restarting"), "not restarted")
    expect(r.find(MARKER.format(id=2)), f"the restarted domain did not reach user space:\n{r.tail()}")


def reboot_destroy():
    r = boot([linux("rb", "reboot", more="on_reboot=destroy")])
    check_clean(r)
    expect(r.find(r"d1 \(rb\): shutting down \(reboot\)"), f"no reboot:\n{r.tail()}")
    expect(r.find(r"d1: destroyed") and not r.find(r"restarting"), "not destroyed as configured")
    expect(r.exit_code == 0, "hv did not power off after the last domain")


def panic_crashes():
    # A kernel panic tells hv through pvpanic: the domain crashes, and its
    # on_crash action follows (preserve by default; destroy if configured).
    r = boot([linux("kept", "panic"), linux("gone", "panic", more="on_crash=destroy")])
    check_clean_but_crashes = not r.timed_out and not r.find(r"PANIC on CPU")
    expect(check_clean_but_crashes, f"QEMU/hv did not finish cleanly:\n{r.tail()}")
    expect(r.find(r"\(d1\) HV-PANIC") and r.find(r"\(d2\) HV-PANIC"), r.tail())
    expect(r.find(r"d1 \(kept\): shutting down \(crash\)"), f"no crash for d1:\n{r.tail()}")
    expect(r.find(r"d2 \(gone\): shutting down \(crash\)"), "no crash for d2")
    expect(not r.find(r"d1: destroyed"), "on_crash=preserve destroyed d1")
    expect(r.find(r"d2: destroyed"), "on_crash=destroy kept d2")


def three_at_once():
    # Three 128 MiB domUs on a 2-CPU host; all memory is back afterwards.
    lines = [linux(f"vm{i}", "poweroff", memory="128M") for i in range(1, 4)]
    r = boot(lines, smp=2)
    check_clean(r)
    for i in range(1, 4):
        expect(r.find(MARKER.format(id=i)), f"d{i} did not reach user space:\n{r.tail()}")
    before = r.find(r"before boot-time domains: (\d+) KiB free")
    after = r.find(r"all boot-time domains ended; (\d+) KiB free")
    expect(before and after, "no free-memory lines")
    expect(before.group(1) == after.group(1),
           f"free memory {before.group(1)} KiB before, {after.group(1)} KiB after")


def bad_kernels():
    # Not a bzImage, truncated, larger than the domain: each refused clearly at
    # creation; a good domain beside them still runs.
    with tempfile.TemporaryDirectory() as d:
        junk = os.path.join(d, "junk.bin")
        with open(junk, "wb") as f:
            f.write(os.urandom(1 << 20))
        cut = os.path.join(d, "cut.bin")
        with open(direct_boot.KERNEL, "rb") as src, open(cut, "wb") as f:
            f.write(src.read(64 << 10))
        lines = [
            "name=junk kernel=3 memory=64M",
            "name=cut kernel=4 memory=256M",
            f'name=small KERNEL memory=32M cmdline="{LINUX_CMDLINE}"',
            linux("good", "poweroff"),
        ]
        r = boot(lines, extra_modules=(junk, cut))
    check_clean(r)
    expect(r.find(r"\(junk\): module 3 is neither an ELF64 kernel nor a bzImage"),
           f"junk not refused clearly:\n{r.tail()}")
    expect(r.find(r"\(cut\): cannot boot its kernel"), "truncated kernel not refused")
    expect(r.find(r"kernel:.*(truncated|ends inside)", ) or r.find(r"cut.*truncat"),
           "the truncated kernel's error does not say so")
    expect(r.find(r"\(small\): cannot boot its kernel: larger than the domain's memory"),
           "too-large kernel not refused")
    expect(r.find(r"\(d\d\) HV-POWEROFF"), "the good domain did not run")


def console_shell():
    # A person at hv's console: Ctrl-A three times gives the input to the
    # guest, whose shell runs what is typed; then it powers off.
    r = boot([linux("sh", "shell", vcpus=2)], timeout=120,
             send=[(r"Enter 'help'", b"\x01\x01\x01"),
                   (r"console input to d1", b"echo HV-TYPED-$((6*7))\n"),
                   (r"HV-TYPED-42", b"poweroff -f\n")])
    check_clean(r)
    expect(r.find(r"console input to d1 \(sh\)"), f"Ctrl-A x3 did not switch:\n{r.tail()}")
    expect(r.find(r"\(d1\) HV-TYPED-42"), f"the typed command did not run:\n{r.tail()}")
    expect(r.find(r"d1 \(sh\): shutting down \(poweroff\)"), "poweroff typed in the shell")


def clocksource():
    # Linux keeps time with kvm-clock and never calls a clocksource unstable.
    r = boot([linux("clock", "sleep5", more="").replace(" quiet", "")])
    check_clean(r)
    expect(r.find(r"clocksource: Switched to clocksource kvm-clock"),
           f"Linux did not use kvm-clock:\n{r.tail()}")
    bad = r.find(r"(clocksource.*unstable|Marking clocksource|timekeeping watchdog|TSC.*unstable)")
    expect(not bad, f"clocksource trouble: {bad and bad.group(0)}")


def main():
    s = Suite("linux")
    ok, out = direct_boot.prepare()
    if not ok:
        print(f"FAIL linux.setup: could not fetch the kernel or build the initramfs:\n{out[-2000:]}")
        sys.exit(1)
    for v in (1, 2, 4):
        s.run(f"nproc_{v}vcpu", nproc, v)
    s.run("sleep5", sleep5)
    s.run("checksum", checksum)
    s.run("poweroff_actions", poweroff_actions)
    s.run("reboot_restarts", reboot_restarts)
    s.run("reboot_destroy", reboot_destroy)
    s.run("panic_crashes", panic_crashes)
    s.run("three_domus", three_at_once)
    s.run("bad_kernels", bad_kernels)
    s.run("console_shell", console_shell)
    s.run("clocksource", clocksource)
    s.finish()


if __name__ == "__main__":
    main()
