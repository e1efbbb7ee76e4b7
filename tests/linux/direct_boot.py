#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The reference for the Linux guest tests ("the limit"): Debian's cloud kernel
and the busybox initramfs booted DIRECTLY by QEMU TCG, without hv, with the same
/init test conventions (tests/linux/init) the hv-based tests use.

    tests/linux/direct_boot.py            every check, PASS/FAIL lines
    tests/linux/direct_boot.py --times N  only QEMU start -> marker, N boots each
                                          for -smp 1, 2, 4 (min/median/max)

Fetches the kernel and builds the initramfs first (both idempotent). Importable:
boot_direct(), marker(), expected_sha256() serve the hv-based tests and the
benchmark."""
import argparse
import hashlib
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import hvqemu  # noqa: E402
from harness import Suite, expect  # noqa: E402

ROOT = hvqemu.ROOT
KERNEL = os.path.join(ROOT, "out", "linux", "vmlinuz")
INITRD = os.path.join(ROOT, "out", "linux", "initramfs.cpio")
# quiet: printk over an emulated UART is slow; panic=-1: a kernel panic resets at
# once, which -no-reboot turns into QEMU's exit instead of a hang.
APPEND = "console=ttyS0 quiet panic=-1"
MEM = "512M"
MARKER = r"HV-LINUX-USERSPACE-OK uptime=([0-9.]+)"
SEED = "".join(f"{i}\n" for i in range(100000)).encode()  # `seq 0 99999`, 588,890 bytes


def expected_sha256(mib=64):
    """What /init's `sha` prints: `seq 0 99999` repeated, cut at `mib` MiB."""
    size = mib << 20
    data = (SEED * (size // len(SEED) + 1))[:size]
    return hashlib.sha256(data).hexdigest()


def prepare():
    """Runs tests/linux/fetch-kernel and build-initramfs; (ok, their output)."""
    out = []
    for script in ("fetch-kernel", "build-initramfs"):
        p = subprocess.run([os.path.join(HERE, script)], capture_output=True, text=True)
        out.append(p.stdout + p.stderr)
        if p.returncode != 0:
            return False, "".join(out)
    return True, "".join(out)


def boot_direct(smp=1, hvtest="", mem=MEM, append="", timeout=120, **kw):
    """One direct boot of out/linux/vmlinuz + initramfs.cpio with `hvtest=`."""
    cmdline = APPEND + (f" hvtest={hvtest}" if hvtest else "") + (f" {append}" if append else "")
    return hvqemu.boot(smp=smp, mem=mem, append=cmdline, timeout=timeout,
                       kernel=KERNEL, initrd=INITRD, **kw)


def marker(r):
    """(host seconds from QEMU's start, guest uptime) at the marker, or None."""
    t = r.time_of(MARKER)
    return None if t is None else (t, float(r.find(MARKER).group(1)))


def expect_marker(r, what):
    expect(not r.timed_out, f"{what}: QEMU did not finish in time; last lines:\n{r.tail()}")
    m = marker(r)
    expect(m, f"{what}: no {MARKER} line; last lines:\n{r.tail()}")
    errors = r.find_all(r"HV-INIT-ERROR.*|Kernel panic.*")
    expect(not errors, f"{what}: {[e.group(0) for e in errors]}")
    return m


def expect_power_down(r, what):
    expect(r.exit_code == 0, f"{what}: QEMU exit status {r.exit_code}, expected 0")
    expect(r.find(r"reboot: Power down"), f"{what}: the kernel did not power down:\n{r.tail()}")


def nproc(smp):
    r = boot_direct(smp=smp, hvtest="nproc")
    t, up = expect_marker(r, f"-smp {smp}")
    print(f"  -smp {smp}: QEMU start -> marker {t:.2f} s host, guest uptime {up:.2f} s", flush=True)
    m = r.find(r"HV-NPROC (\d+)")
    expect(m, f"no HV-NPROC line:\n{r.tail()}")
    expect(int(m.group(1)) == smp, f"nproc says {m.group(1)}, QEMU has -smp {smp}")
    expect_power_down(r, "after the list")


def sleep5():
    r = boot_direct(smp=1, hvtest="sleep5")
    expect_marker(r, "sleep5")
    start, end = r.time_of(r"HV-SLEEP-START"), r.time_of(r"HV-SLEEP-END")
    expect(start is not None and end is not None, f"no HV-SLEEP-START/END:\n{r.tail()}")
    guest = (float(r.find(r"HV-SLEEP-END uptime=([0-9.]+)").group(1))
             - float(r.find(r"HV-SLEEP-START uptime=([0-9.]+)").group(1)))
    print(f"  sleep 5: {end - start:.2f} s host, {guest:.2f} s guest uptime", flush=True)
    expect(4.5 <= end - start <= 5.5, f"sleep 5 took {end - start:.2f} s of host time")
    expect_power_down(r, "after the list")


def sha():
    r = boot_direct(smp=1, hvtest="sha")
    expect_marker(r, "sha")
    m = r.find(r"HV-SHA256 ([0-9a-f]{64})")
    expect(m, f"no HV-SHA256 line:\n{r.tail()}")
    t0, t1 = r.time_of(MARKER), r.time_of(r"HV-SHA256")
    print(f"  sha: 64 MiB generated and hashed in {t1 - t0:.2f} s host", flush=True)
    want = expected_sha256()
    expect(m.group(1) == want, f"guest computed {m.group(1)}, host {want}")
    expect_power_down(r, "after the list")


def default():
    r = boot_direct(smp=1)
    expect_marker(r, "no hvtest")
    expect_power_down(r, "no hvtest")


def poweroff():
    r = boot_direct(smp=2, hvtest="poweroff")
    expect_marker(r, "poweroff")
    expect(r.find(r"^HV-POWEROFF$"), f"no HV-POWEROFF line:\n{r.tail()}")
    expect_power_down(r, "poweroff")
    expect(not r.find(r"Restarting system"), "the kernel restarted instead")


def reboot():
    r = boot_direct(smp=2, hvtest="reboot")
    expect_marker(r, "reboot")
    expect(r.find(r"^HV-REBOOT$"), f"no HV-REBOOT line:\n{r.tail()}")
    # -no-reboot turns the reset into QEMU's exit with status 0.
    expect(r.exit_code == 0, f"QEMU exit status {r.exit_code}, expected 0")
    expect(r.find(r"reboot: Restarting system"), f"the kernel did not restart:\n{r.tail()}")
    expect(not r.find(r"Power down"), "the kernel powered down instead")


def init_failure():
    # `crash` kills the shell that runs the tests: PID 1 must power off rather
    # than exit (a kernel panic) or hang.
    r = boot_direct(smp=1, hvtest="crash,nproc")
    expect(not r.timed_out, f"QEMU did not finish in time:\n{r.tail()}")
    expect(r.find(r"HV-INIT-ERROR /init ended unexpectedly"), f"no HV-INIT-ERROR line:\n{r.tail()}")
    expect(not r.find(r"HV-NPROC"), "the test list went on after the crash")
    expect_power_down(r, "after a failing /init")


def times(n):
    print(f"direct boot, QEMU TCG -cpu max -m {MEM}, {APPEND}: QEMU start -> marker, {n} boots")
    print(f"{'CPUs':>4}  {'min':>6}  {'median':>6}  {'max':>6}  {'guest uptime (median)':>21}")
    ok = True
    for smp in (1, 2, 4):
        got = [marker(boot_direct(smp=smp)) for _ in range(n)]
        if None in got:
            print(f"FAIL linux.direct.times_smp{smp}: a boot gave no marker")
            ok = False
            continue
        host = [g[0] for g in got]
        print(f"{smp:>4}  {min(host):>5.2f}s  {statistics.median(host):>5.2f}s  {max(host):>5.2f}s"
              f"  {statistics.median(g[1] for g in got):>20.2f}s", flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--times", type=int, metavar="N", help="only time QEMU start -> marker")
    args = ap.parse_args()
    s = Suite("linux.direct")
    ok, out = prepare()
    if not ok:
        print(f"FAIL linux.direct.setup: fetch-kernel/build-initramfs failed:\n{out}")
        sys.exit(1)
    if args.times:
        sys.exit(0 if times(args.times) else 1)
    for smp in (1, 2, 4):
        s.run(f"nproc_smp{smp}", nproc, smp)
    s.run("sleep5", sleep5)
    s.run("sha256", sha)
    s.run("default_poweroff", default)
    s.run("poweroff", poweroff)
    s.run("reboot", reboot)
    s.run("init_failure_powers_off", init_failure)
    s.finish()


if __name__ == "__main__":
    main()
