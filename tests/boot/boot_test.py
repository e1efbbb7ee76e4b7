#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""hv boots on QEMU and owns the machine: every CPU reports in, memory is
accounted for, faults give a panic report, and hv powers off and reboots."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hvqemu  # noqa: E402
from harness import Suite, expect  # noqa: E402

MIB = 1024 * 1024
SUMMARY = (r"Boot complete: (\d+) of (\d+) CPUs up, (\d+) MiB free of (\d+) MiB usable RAM")
# Fast boots for the checks that are not about memory size.
QUICK = "after_boot=poweroff on_panic=debug_exit scrub=0"


def parse_size(text):
    return int(text[:-1]) * {"M": 1, "G": 1024}[text[-1]]


def check_clean(r):
    expect(not r.timed_out, f"QEMU did not finish in time; last lines:\n{r.tail()}")
    expect(r.find(r"PANIC") is None, f"hv panicked:\n{r.tail()}")
    errors = r.find_all(r"\(hv\).*error: .*")
    expect(not errors, f"error lines: {[m.group(0) for m in errors]}")


def boot_and_count(smp, mem):
    r = hvqemu.boot(smp=smp, mem=mem, append="after_boot=poweroff on_panic=debug_exit")
    check_clean(r)
    expect(r.exit_code == 0, f"QEMU exit status {r.exit_code}, expected 0 (ACPI power-off)")
    m = r.find(SUMMARY)
    expect(m, f"no summary line:\n{r.tail()}")
    up, expected, free_mib, usable_mib = (int(g) for g in m.groups())
    expect(up == smp and expected == smp, f"{up} of {expected} CPUs up, QEMU has {smp}")
    for i in range(smp):
        expect(r.find(rf"CPU{i} up \(APIC id \d+\)"), f"CPU{i} never reported in")
    expect(r.find(rf"timers: one-shot fired on {smp} of {smp} CPUs"),
           "not every CPU's one-shot timer fired")
    # What QEMU gave, less what the firmware keeps (below 1 MiB, ACPI tables,
    # the PCI hole for large guests): within 4 MiB.
    given = parse_size(mem)
    expect(given - 4 <= usable_mib <= given,
           f"usable RAM {usable_mib} MiB, QEMU was given {given} MiB")
    # hv's own share: its image (< 2 MiB), 12 bytes of metadata per page,
    # the first MiB, page tables and per-CPU stacks; at most 1 MiB slack.
    metadata_mib = (given + 1024) * 12 / 4096  # page metadata spans the PCI hole
    bound = 2 + metadata_mib + 1 + 0.25 * smp + 1
    used = usable_mib - free_mib
    expect(0 < used <= bound, f"hv uses {used} MiB of {usable_mib}, expected at most {bound:.1f}")
    scrub = r.find(r"scrub: (\d+) MiB zeroed on (\d+) CPUs")
    expect(scrub and int(scrub.group(2)) == smp, "free memory was not scrubbed on every CPU")
    expect(int(scrub.group(1)) >= free_mib - 1, f"scrubbed {scrub.group(1)} MiB of {free_mib} free")


def panic_report(kind, name):
    r = hvqemu.boot(smp=2, append=f"{QUICK} selftest={kind}", timeout=120)
    expect(not r.timed_out, f"no exit after the fault:\n{r.tail()}")
    expect(r.exit_code == hvqemu.EXIT_DEBUG_PANIC,
           f"QEMU exit {r.exit_code}, expected {hvqemu.EXIT_DEBUG_PANIC} (panic → debug exit)")
    expect(r.find(rf"PANIC on CPU 0: {re.escape(name)}"), f"no report naming {name}:\n{r.tail()}")
    for what in (r"RIP: [0-9a-f]{16} hv::x86::TriggerFault", r"RAX: [0-9a-f]{16}",
                 r"CR2: [0-9a-f]{16}", r"Backtrace:", r"\[<[0-9a-f]{16} hv::x86::BootMain"):
        expect(r.find(what), f"report lacks /{what}/:\n{r.tail(30)}")
    expect(r.find(r"end of panic report; on_panic=debug_exit"), "report does not end")


def page_fault_detail():
    r = hvqemu.boot(smp=1, append=f"{QUICK} selftest=pagefault", timeout=120)
    expect(r.find(r"#PF page fault \(not present, write, supervisor\)"),
           f"page fault not described:\n{r.tail()}")
    expect(r.find(r"CR2: 0000000000000010"), "CR2 does not hold the faulting address")


def reboot():
    r = hvqemu.boot(smp=2, append="after_boot=reboot on_panic=debug_exit scrub=0", timeout=120)
    check_clean(r)
    # -no-reboot turns the machine's reset into QEMU's exit with status 0.
    expect(r.exit_code == 0, f"QEMU exit status {r.exit_code} after reboot")
    expect(r.find(r"rebooting"), "hv did not say it reboots")
    expect(r.find(r"Boot complete") and r.find_all(r"hv \d+\.\d+\.\d+, build id").__len__() == 1,
           "expected exactly one boot")


def debug_exit():
    r = hvqemu.boot(smp=1, append="after_boot=debug_exit on_panic=halt scrub=0", timeout=120)
    expect(r.exit_code == hvqemu.EXIT_DEBUG_SUCCESS, f"QEMU exit status {r.exit_code}")


def bad_command_line():
    r = hvqemu.boot(smp=1, append=f"{QUICK} frobnicate=1 loglvl=loud smp=many", timeout=120)
    check_clean(r)
    expect(r.exit_code == 0, f"QEMU exit status {r.exit_code}")
    expect(r.find(r"warning: .*frobnicate"), "unknown option not named in a warning")
    expect(r.find(r"warning: .*loud"), "bad loglvl value not named in a warning")
    expect(r.find(SUMMARY), "boot did not complete")


def banner():
    r = hvqemu.boot(smp=1, append=f"{QUICK} loglvl=info", timeout=120)
    expect(r.find(r"hv \d+\.\d+\.\d+, build id [0-9a-f]{40}"), "no version and build id")
    expect(r.find(r"command line: .*after_boot=poweroff"), "command line not shown")
    expect(r.find(r"\[0000000000100000, [0-9a-f]{16}\) usable"), "memory map not shown")
    expect(r.find(r"clock: TSC \d+\.\d+ MHz, calibrated against the hpet"), "no TSC calibration")
    expect(r.find(r"page tables: image W\^X"), "no W^X page tables")


def modules():
    # Two modules with arguments, as dom0's kernel and initrd will come: listed
    # with their command lines, and their memory kept out of the free pool.
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        big, small = os.path.join(d, "big.bin"), os.path.join(d, "small.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(3 * MIB))
        with open(small, "wb") as f:
            f.write(b"hello")
        base = hvqemu.boot(smp=1, append=QUICK, timeout=120)
        r = hvqemu.boot(smp=1, append=QUICK, timeout=120,
                        extra=("-initrd", f"{big} console=hvc0 root=/dev/ram,{small} second"))
    check_clean(r)
    m0 = r.find(r"module 0: \[([0-9a-f]+), ([0-9a-f]+)\) (.*)$")
    m1 = r.find(r"module 1: \[([0-9a-f]+), ([0-9a-f]+)\) (.*)$")
    expect(m0 and m1, f"modules not listed:\n{r.tail()}")
    expect(m0.group(3).endswith("big.bin console=hvc0 root=/dev/ram"), f"module 0: {m0.group(3)}")
    expect(m1.group(3).endswith("small.bin second"), f"module 1: {m1.group(3)}")
    size0 = int(m0.group(2), 16) - int(m0.group(1), 16)
    expect(size0 == 3 * MIB, f"module 0 is {size0} bytes, the file {3 * MIB}")
    free_base = int(base.find(SUMMARY).group(3))
    free_mods = int(r.find(SUMMARY).group(3))
    expect(free_base - free_mods in (3, 4), f"free memory {free_base} MiB without modules, "
           f"{free_mods} MiB with 3 MiB of them")


def console_keys():
    # A person at hv's console: asks for help, memory and CPUs, then powers off.
    r = hvqemu.boot(smp=2, append="on_panic=debug_exit scrub=0", timeout=120,
                    send=[(r"idle; keys on the console", b"h"), (r"keys: h help", b"m"),
                          (r"memory: \d+ KiB free", b"c"), (r"CPU1: APIC id", b"O")])
    expect(r.find(r"memory: \d+ KiB free"), f"'m' did not show memory:\n{r.tail()}")
    expect(r.find(r"CPU0: APIC id 0, online") and r.find(r"CPU1: APIC id 1, online"),
           "'c' did not list both CPUs")
    expect(r.find(r"powering off") and r.exit_code == 0,
           f"'O' did not power off (exit {r.exit_code}, timed out {r.timed_out})")


def deploy_up():
    # The README's first command, as a user runs it (non-interactive here):
    # builds, boots hv in QEMU with its console on the terminal.
    import subprocess
    p = subprocess.run([os.path.join(hvqemu.ROOT, "deploy", "up"), "--smp", "2", "--mem", "512M",
                        "--append", "after_boot=poweroff scrub=0"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    expect(p.returncode == 0, f"deploy/up exited {p.returncode}:\n{out[-2000:]}")
    expect(re.search(r"Boot complete: 2 of 2 CPUs up", out), f"no boot summary:\n{out[-2000:]}")
    expect("powering off" in out, "hv did not power off")


def main():
    s = Suite("boot")
    matrix = os.environ.get("HV_BOOT_MATRIX", "1:512M 2:512M 4:512M 1:4G 2:4G 4:4G").split()
    for cell in matrix:
        smp, mem = cell.split(":")
        s.run(f"smp{smp}_mem{mem}", boot_and_count, int(smp), mem)
    s.run("banner", banner)
    s.run("panic_page_fault", panic_report, "pagefault", "#PF page fault")
    s.run("page_fault_detail", page_fault_detail)
    s.run("panic_invalid_opcode", panic_report, "ud", "#UD invalid opcode")
    s.run("panic_general_protection", panic_report, "gp", "#GP general protection")
    s.run("reboot", reboot)
    s.run("debug_exit", debug_exit)
    s.run("bad_command_line", bad_command_line)
    s.run("console_keys", console_keys)
    s.run("modules", modules)
    s.run("deploy_up", deploy_up)
    s.finish()


if __name__ == "__main__":
    main()
