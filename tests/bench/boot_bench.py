#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Boot figures, printed side by side:
- QEMU start -> all CPUs up (host clock), for 1, 2 and 4 CPUs;
- scrub throughput on all CPUs beside memset on one CPU, in the same boot
  (memset is the limit one CPU can reach; scrub/memset > 1 means parallel
  scrubbing is paying off).
Each figure is the median of a few boots. Under TCG every CPU is a host
thread, so on a 2-core host more than 2 CPUs cannot scale."""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hvqemu  # noqa: E402

RUNS = int(os.environ.get("HV_BENCH_RUNS", "3"))
MEM = os.environ.get("HV_BENCH_MEM", "2G")


def one(smp):
    r = hvqemu.boot(smp=smp, mem=MEM, append="after_boot=poweroff on_panic=debug_exit bench")
    up = r.time_of(r"all CPUs up")
    done = r.time_of(r"Boot complete")
    scrub = r.find(r"scrub: (\d+) MiB zeroed on \d+ CPUs in (\d+) ms \((\d+) MiB/s\)")
    mset = r.find(r"bench: memset (\d+) MiB on CPU0 in (\d+) ms \((\d+) MiB/s\)")
    if up is None or done is None or not scrub or not mset or r.exit_code != 0:
        print(f"FAIL bench.boot_smp{smp}: boot did not complete\n{r.tail()}")
        return None
    return {"up": up, "done": done, "scrub": int(scrub.group(3)), "memset": int(mset.group(3)),
            "scrub_mib": int(scrub.group(1))}


def main():
    print(f"hv boot benchmark: QEMU TCG -cpu max, -m {MEM}, median of {RUNS} boots")
    print(f"{'CPUs':>4}  {'start->CPUs up':>14}  {'start->ready':>12}  "
          f"{'scrub MiB/s':>11}  {'memset MiB/s':>12}  {'scrub/memset':>12}")
    ok = True
    for smp in (1, 2, 4):
        runs = [one(smp) for _ in range(RUNS)]
        if any(x is None for x in runs):
            ok = False
            continue
        med = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
        print(f"{smp:>4}  {med['up']:>13.2f}s  {med['done']:>11.2f}s  {med['scrub']:>11.0f}  "
              f"{med['memset']:>12.0f}  {med['scrub'] / med['memset']:>11.2f}x")
        print(f"PASS bench.boot_smp{smp}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
