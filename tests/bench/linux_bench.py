#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Linux boot on hv, beside the same kernel and initrd booted directly by
QEMU TCG in the same run (the limit); goal: hv within 1.3x. Printed side by
side, medians of a few boots; and hv's #VMEXITs per boot by reason."""
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "linux"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import direct_boot  # noqa: E402
import linux_test  # noqa: E402

RUNS = int(os.environ.get("HV_BENCH_RUNS", "3"))
MARKER = r"HV-LINUX-USERSPACE-OK"


def direct():
    r = direct_boot.boot_direct(smp=1, hvtest="poweroff", mem="512M")
    return r.time_of(MARKER)


def on_hv():
    r = linux_test.boot([linux_test.linux("linux", "poweroff", vcpus=1, memory="256M")], smp=1)
    start = r.time_of(r"before boot-time domains")
    created = r.time_of(r"d1 \(linux\): created")
    marker = r.time_of(r"\(d1\) " + MARKER)
    exits = r.find(r"exits since boot: (.*)")
    if start is None or marker is None:
        return None
    return marker - start, created - start if created else None, exits.group(1) if exits else "?"


def main():
    ok, out = direct_boot.prepare()
    if not ok:
        print(f"FAIL bench.linux: no kernel or initramfs:\n{out[-1500:]}")
        sys.exit(1)
    d, h = [], []
    for _ in range(RUNS):
        t = direct()
        if t is not None:
            d.append(t)
        x = on_hv()
        if x is not None:
            h.append(x)
    if not d or not h:
        print(f"FAIL bench.linux: measured {len(d)} direct and {len(h)} hv boots of {RUNS}")
        sys.exit(1)
    direct_s = statistics.median(d)
    hv_s = statistics.median(x[0] for x in h)
    build_s = statistics.median(x[1] for x in h if x[1] is not None)
    ratio = hv_s / direct_s
    print(f"Linux boot to user space ({os.path.basename(os.path.realpath(direct_boot.KERNEL))}, "
          f"1 vCPU, median of {RUNS}; QEMU TCG -cpu max)")
    print(f"  direct in QEMU (start -> marker)   {direct_s:6.2f} s   (the limit)")
    print(f"  on hv (create -> marker)           {hv_s:6.2f} s   {ratio:.2f}x  "
          f"(goal <= 1.3x: {'met' if ratio <= 1.3 else 'not met'}); of which building the "
          f"domain {build_s:.2f} s")
    print(f"  hv exits during one boot (all CPUs): {h[len(h) // 2][2]}")
    print("PASS bench.linux_boot")


if __name__ == "__main__":
    main()
