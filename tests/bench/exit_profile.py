#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Where an exit's time goes under QEMU's TCG: per #VMEXIT round trip of the
exit benchmark (tests/guests/bench_exits.cc), the software-TLB refills and the
translation-block lookups QEMU does, each with the address and hv symbol that
caused it. Not part of tests/run: it needs perf and root (uprobes on QEMU).

Every VMRUN and #VMEXIT flushes QEMU's TLB and jump cache, so each page an
exit touches costs a refill (x86_cpu_tlb_fill; its page walk refills the
page-table pages too, in the physical MMU index) and each indirect branch
target a lookup (get_page_addr_code_hostp), on every exit. Fewer of both is
a cheaper exit (docs/architecture.md, "The exit path").

  tests/bench/exit_profile.py [N]    N exits per kind (default 10000)
"""
import bisect
import collections
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"
PROBES = {  # name -> perf probe definition (x86-64 SysV argument registers)
    "hv_tlbfill": "x86_cpu_tlb_fill addr=%si:x64 mmu_idx=%r8:s32",
    "hv_codepg": "get_page_addr_code_hostp addr=%si:x64",
}


def add_probes():
    have = subprocess.run(["perf", "probe", "-l"], capture_output=True, text=True).stdout
    for name, spec in PROBES.items():
        if f"probe_qemu:{name} " not in have:
            subprocess.run(["perf", "probe", "-q", "-x", QEMU, "--add", f"{name}={spec}"],
                           check=True)


def symbols(nm_path):
    syms = []
    for line in open(nm_path):
        p = line.rstrip("\n").split(" ", 3)  # nm -n -S -C: addr [size] type name
        if len(p) == 4 and len(p[2]) == 1:
            syms.append((int(p[0], 16), p[3]))
        elif len(p) == 3 and len(p[1]) == 1:
            syms.append((int(p[0], 16), p[2]))
    syms.sort()
    addrs = [a for a, _ in syms]

    def name(addr):
        i = bisect.bisect_right(addrs, addr) - 1
        return f"{syms[i][1]}+{addr - syms[i][0]:#x}" if i >= 0 else ""
    return name


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    add_probes()
    os.environ["HV_EXIT_BENCH_N"] = str(n)
    import exit_bench  # reads HV_EXIT_BENCH_N
    with tempfile.TemporaryDirectory(prefix="hv-exit-profile-") as tmp:
        data = os.path.join(tmp, "perf.data")
        wrapper = os.path.join(tmp, "qemu-system-x86_64")
        with open(wrapper, "w") as f:
            f.write(f"#!/bin/sh\nexec perf record -q -e probe_qemu:hv_tlbfill -e probe_qemu:hv_codepg "
                    f"-o {data} -- {QEMU} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        os.environ["PATH"] = tmp + os.pathsep + os.environ["PATH"]
        got = exit_bench.run_hv_exits(exit_bench.run_guests.load_manifest(), "profile")
        script = subprocess.run(["perf", "script", "-i", data, "-F", "event,trace"],
                                capture_output=True, text=True, check=True).stdout
    # Each kind also runs a warm-up (bench_exits.cc); the boot's own exits are
    # few beside these.
    exits = (n + min(n // 10, 1000)) * len(got)
    counts = collections.Counter()
    for line in script.splitlines():
        p = line.split()
        if not p or not p[0].startswith("probe_qemu:hv_"):
            continue
        args = dict(f.split("=", 1) for f in p[1:] if "=" in f)
        idx = f"mmu_idx={args['mmu_idx']}" if "mmu_idx" in args else ""
        counts[(p[0][len("probe_qemu:hv_"):].rstrip(":"), args.get("addr", "?"), idx)] += 1
    name = symbols(os.path.join(exit_bench.ROOT, "bazel-bin", "hv", "image.nm"))
    print(f"per exit, over {exits} exits ({', '.join(f'{k} {v} ns' for k, v in got.items())}); "
          "rows seen at least once per 3 exits:")
    totals = collections.Counter()
    for (event, addr, idx), c in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
        totals[(event, idx)] += c
        if c * 3 >= exits:
            a = int(addr, 16)
            print(f"  {c / exits:5.2f}  {event:7} {idx:10} {addr:>18}  "
                  f"{name(a) if a >= 0xffffffff80000000 else ''}")
    for (event, idx), c in sorted(totals.items()):
        print(f"total {event} {idx}: {c / exits:.2f} per exit")


if __name__ == "__main__":
    main()
