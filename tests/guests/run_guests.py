#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the guest tests (tests/guests/*.cc): for each, boots hv on QEMU with
the test kernel(s) as boot-time domains and checks each domain's
"(dN) Test result: ..." line on hv's console.

    tests/guests/run_guests.py [-v] [--list] [name...]

Every test in bazel-bin/tests/guests/guests.json runs as one domain that must
print `Test result: SUCCESS`, unless TESTS below says otherwise (more domains,
another result, lines hv must print). One fresh boot per test:

    qemu-system-x86_64 ... -kernel bazel-bin/hv/image \\
        -append "domains=0 after_boot=poweroff on_panic=debug_exit scrub=0" \\
        -initrd "<tmp>/domains.cfg,bazel-bin/tests/guests/<test>.elf"

Module 0 is the config, one domain a line, in domain-id order (1, 2, ...):

    name=<test> kernel=1 memory=16M vcpus=1 weight=256 cpus=all cmdline="..."

Prints `PASS guests.<test>`, `FAIL guests.<test>: why` (tests/run counts
these) or `SKIP guests.<test>: why` (a guest said SKIP; not counted). Each
boot's console is kept in out/guests/<test>.log.
"""
import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import hvqemu  # noqa: E402
from harness import Failure, expect  # noqa: E402

ROOT = hvqemu.ROOT
BAZEL_BIN = os.path.join(ROOT, "bazel-bin")
MANIFEST = os.path.join(BAZEL_BIN, "tests", "guests", "guests.json")
LOG_DIR = os.path.join(ROOT, "out", "guests")
APPEND = "domains=0 after_boot=poweroff on_panic=debug_exit scrub=0"
TIMEOUT = float(os.environ.get("HV_GUEST_TIMEOUT", "60"))
RESULTS = ("SUCCESS", "FAILURE", "ERROR", "SKIP")
# A domain's console line on hv's: "(dN) text", or "(dN) [secs.micros] text".
DOMAIN_LINE = r"\(d{id}\) (?:\[ *\d+\.\d+\] )?"


@dataclasses.dataclass
class Domain:
    """One line of the boot config. `result` is the result line the domain
    must print (None: it must print none); `console` lists regexes that some
    line of the boot must match, with {id} replaced by the domain's id and
    {dom} by its console prefix ("(d<id>) ")."""
    kernel: str                      # a guest in the manifest
    cmdline: str = ""
    memory: str = "16M"
    vcpus: int = 1
    weight: int = 256
    cpus: str = "all"
    result: Optional[str] = "SUCCESS"
    console: tuple = ()
    name: Optional[str] = None       # default: the test's name (+ _<id> if several)
    privileged: bool = False         # privileged=yes: a control domain (domctl, sysctl)
    on_poweroff: Optional[str] = None  # destroy|restart|preserve; default hv's (destroy)
    on_reboot: Optional[str] = None    # the same; default hv's (restart)


@dataclasses.dataclass
class GuestTest:
    domains: list
    smp: int = 1
    mem: str = "512M"
    exit_code: int = 0               # QEMU's: 0 is hv's ACPI power-off after every domain ended
    check: Optional[object] = None   # check(BootResult, domain ids): more assertions
    send: tuple = ()                 # (regex, bytes): typed on hv's console (hvqemu.boot)


def share(r, dom_id):
    m = r.find(rf"\(d{dom_id}\) (?:\[ *\d+\.\d+\] )?share: ran (\d+) us of (\d+) us")
    expect(m, f"d{dom_id} printed no share line")
    return int(m.group(1)), int(m.group(2))


def check_weights(r):
    """Weights 256 and 512 on one CPU: run times 1:2 (within 10%)."""
    light, _ = share(r, 1)
    heavy, _ = share(r, 2)
    ratio = heavy / max(light, 1)
    print(f"  weights 256:512 on one CPU: ran {light} us and {heavy} us: 1:{ratio:.2f}")
    expect(1.8 <= ratio <= 2.2, f"weights 256:512 gave 1:{ratio:.2f}, not 1:2 within 10%")


def check_sibling_after_crash(r):
    """The sibling finished after the crash, so it kept running."""
    crash = r.time_of(r"\bd1 crashed\b")
    done = r.time_of(r"\(d2\) (?:\[ *\d+\.\d+\] )?Test result: SUCCESS")
    expect(crash is not None and done is not None and done >= crash,
           "the sibling did not finish after the crash")
    expect(r.find(r"d1 crashed: triple fault on v0: RIP"), "no crash report with registers")


def check_touch(r, access):
    """d1 touched the page it had released, 0x10 bytes in; hv crashed it there."""
    m = r.find(r"\(d1\) (?:\[ *\d+\.\d+\] )?touching 0x([0-9a-f]+)$")
    expect(m, "d1 printed no 'touching' line")
    gpa = int(m.group(1), 16) + 0x10
    expect(r.find(rf"\bd1 crashed: v0: {access} of guest-physical {gpa:#x}, outside its memory"),
           f"no crash report for the {access} of {gpa:#x}")


def one(kernel, check=None, **kw):
    return GuestTest(domains=[Domain(kernel, **kw)], check=check)


# Tests that are not "one domain of the same name that prints SUCCESS". A
# kernel that only serves other tests (a peer in a two-domain test) maps to None.
TESTS = {
    # No result line: the domain triple-faults; hv crashes it and keeps going.
    "triple_fault": one("triple_fault", result=None, console=(r"\bd{id} crashed\b",)),
    # The guest library's own checks, and each way a test ends.
    "selftest": one("selftest", cmdline="mode=success num=0x2a count=17 flag",
                    console=(r"{dom}selftest: printf -42 0xff   pad\|x  \|$",)),
    "selftest_failure": one("selftest", cmdline="mode=failure", result="FAILURE", console=(
        r"{dom}Failure: tests/guests/selftest\.cc:\d+: expected 1 \+ 1 == 3, "
        r"but 1 \+ 1 is 2 \(0x2\) and 3 is 3 \(0x3\)$",)),
    "selftest_error": one("selftest", cmdline="mode=error", result="ERROR", console=(
        r"{dom}Error: unexpected exception #UD \(vector 6\) at rip 0x0000000000[0-9a-f]{6}, "
        r"error code 0$",)),
    "selftest_skip": one("selftest", cmdline="mode=skip", result="SKIP",
                         console=(r"{dom}Skip: selftest skips on request$",)),
    # Two domains from one kernel with their own command lines (the shape of
    # the ping-pong tests to come) on two CPUs: ids in config order, each its
    # own console.
    # Ping-pong over an event channel between two domains on two CPUs; the
    # ping side reports the round trips per second.
    "evtchn_pingpong": GuestTest(smp=2, domains=[
        Domain("evtchn_pingpong", cmdline="role=ping peer=2",
               console=(r"{dom}event-channel ping-pong: \d+ round trips in \d+ us",)),
        Domain("evtchn_pingpong", cmdline="role=pong peer=1"),
    ]),
    # Exit round trips (tests/bench/exit_bench.py runs it with a large n);
    # here a small n keeps the suite fast.
    "bench_exits": one("bench_exits", cmdline="n=2000", console=tuple(
        rf"{{dom}}bench: {k} 2000 exits in \d+ us: \d+ exits/s, \d+ ns/exit"
        for k in ("vmmcall", "cpuid", "outb"))),
    # Two vCPUs of one domain run at once on the two CPUs.
    "smp": GuestTest(smp=2, domains=[Domain("smp", vcpus=2)]),
    # Two CPU-bound domains, weights 256 and 512, both on CPU 0 of two.
    "weights": GuestTest(smp=2, check=check_weights, domains=[
        Domain("cpu_hog", weight=256, cpus="0", name="light"),
        Domain("cpu_hog", weight=512, cpus="0", name="heavy"),
    ]),
    "cpu_hog": one("cpu_hog", cmdline="window_ms=200 warmup_ms=50"),
    # A domain triple-faults; its sibling on the same CPU keeps running.
    "triple_fault_sibling": GuestTest(smp=1, check=check_sibling_after_crash, domains=[
        Domain("triple_fault", result=None, console=(r"\bd{id} crashed\b",)),
        Domain("cpu_hog", cmdline="window_ms=500 warmup_ms=100"),
    ]),
    # No domain sees another's memory; touching past its own crashes it.
    "isolation_read": GuestTest(smp=2, domains=[
        Domain("isolation", cmdline="mode=owner"),
        Domain("isolation", cmdline="mode=scanner beyond=read", result=None,
               console=(r"\bd{id} crashed: v0: read of guest-physical 0x1000000, outside its memory",)),
    ]),
    "isolation_write": GuestTest(smp=2, domains=[
        Domain("isolation", cmdline="mode=owner"),
        Domain("isolation", cmdline="mode=scanner beyond=write", result=None,
               console=(r"\bd{id} crashed: v0: write of guest-physical 0x1000000, outside its memory",)),
    ]),
    "isolation": None,
    # A control domain hears another domain end (VIRQ_DOMAIN_STATE).
    "domain_state_virq": GuestTest(smp=2, domains=[
        Domain("domain_state_virq", cmdline="peer=2", privileged=True,
               console=(r"{dom}heard d2 end",)),
        Domain("cpu_hog", cmdline="window_ms=300 warmup_ms=100", on_poweroff="preserve"),
    ]),
    # A control domain pauses and unpauses a running domU (the ticker).
    "domctl_pause": GuestTest(smp=2, domains=[
        Domain("domctl_pause", cmdline="peer=2", privileged=True,
               console=(r"{dom}paused at \d+ bytes, nothing for 300 ms, then on again",)),
        Domain("ticker", cmdline="count=150"),
    ]),
    "ticker": one("ticker", cmdline="count=5"),
    "hello_x2": GuestTest(smp=2, domains=[
        Domain("hello", cmdline="role=ping peer=2",
               console=(r'{dom}hv guest test: domain {id},.*cmdline "role=ping peer=2"',)),
        Domain("hello", cmdline="role=pong peer=1",
               console=(r'{dom}hv guest test: domain {id},.*cmdline "role=pong peer=1"',)),
    ]),
    # Control domains (privileged=yes): domain and host control, each alone
    # so that nothing else allocates memory meanwhile.
    "domctl": one("domctl", privileged=True),
    "domctl_memory": one("domctl_memory", privileged=True),
    # Ballooning (HV_MEMORY_RELEASE, HV_MEMORY_POPULATE): a domU on its own
    # memory; touching a released page crashes it; a sibling vCPU that
    # writes a page being released is stopped (TLB shootdown) and crashes it.
    "balloon": one("balloon", memory="32M"),
    "balloon_read": one("balloon", cmdline="mode=touch access=read", result=None,
                        check=lambda r: check_touch(r, "read")),
    "balloon_write": one("balloon", cmdline="mode=touch access=write", result=None,
                         check=lambda r: check_touch(r, "write")),
    "balloon_smp": GuestTest(smp=2, domains=[
        Domain("balloon", cmdline="mode=smp", vcpus=2, result=None,
               console=(r"{dom}vCPU 1 writes 0x[0-9a-f]+; releasing it$",
                        r"\bd{id} crashed: v1: write of guest-physical 0x[0-9a-f]+, outside its memory")),
    ]),
    # hv's pool and ballooning, from a control domain: free pages, max
    # memory, hv out of memory; then destroying a domain that ballooned.
    "balloon_control": one("balloon_control", privileged=True),
    "balloon_destroy": GuestTest(domains=[
        Domain("balloon_control", cmdline="role=destroy peer=2", privileged=True,
               console=(r"{dom}d2 destroyed after ballooning: (\d+) pages back, it held \1$",)),
        Domain("balloon", cmdline="mode=worker", on_poweroff="preserve"),
    ]),
    "sysctl": GuestTest(smp=2, domains=[Domain("sysctl", cmdline="cpus=2", privileged=True)]),
    "sysctl_1cpu": one("sysctl", cmdline="cpus=1", privileged=True),
    # A control domain watches a domU run, power off (kept: on_poweroff=
    # preserve) and destroys it.
    "domctl_running": GuestTest(domains=[
        Domain("domctl_running", cmdline="role=control peer=2", privileged=True,
               console=(r"{dom}d2 runs: destroy, pause and vCPU changes refused$",
                        r"{dom}d2 dead \(poweroff\), then destroyed: \d+ pages back$")),
        Domain("domctl_running", cmdline="role=worker secs=3", on_poweroff="preserve"),
    ]),
    # hv's console switched to a domain without a UART (Ctrl-A three times):
    # what is typed comes with HV_VIRQ_CONSOLE, read by HV_CONSOLE_INPUT.
    "console_input": GuestTest(
        domains=[Domain("console_input",
                        console=(r"console input to d{id} \(console_input\)",
                                 r'{dom}read "hello, hv" from hv\'s console after \d+ VIRQs$'))],
        send=((r"ready for input", b"\x01\x01\x01"),
              (r"console input to d\d+", b"hello, hv\n"))),
    # Domains looked up (INFO, CONSOLE_READ) on one CPU while another
    # destroys and rebuilds them: each answer is the domain's or HV_ESRCH.
    "domain_refs": GuestTest(smp=2, domains=[
        Domain("domain_refs", cmdline="role=control secs=4", privileged=True,
               console=(r"{dom}\d+ lookups met \d+ workers come and go$",)),
        Domain("domain_refs", cmdline="role=worker secs=3", result=None,
               on_poweroff="restart", on_reboot="destroy",
               console=(r"\bd{id}: destroyed",)),
    ]),
}


class Skipped(Exception):
    pass


def load_manifest():
    with open(MANIFEST) as f:
        return {g["name"]: os.path.join(BAZEL_BIN, g["elf"]) for g in json.load(f)["guests"]}


def all_tests(manifest):
    tests = {name: one(name) for name in manifest}
    tests.update(TESTS)
    return {name: t for name, t in sorted(tests.items()) if t is not None}


def initrd_arg(paths):
    # QEMU splits -initrd at commas; ",," is a literal comma.
    return ",".join(p.replace(",", ",,") for p in paths)


def config_line(name, module, d):
    expect('"' not in d.cmdline and "\n" not in d.cmdline, f"bad cmdline {d.cmdline!r}")
    return (f"name={name} kernel={module} memory={d.memory} vcpus={d.vcpus} "
            f"weight={d.weight} cpus={d.cpus} cmdline=\"{d.cmdline}\""
            + (" privileged=yes" if d.privileged else "")
            + (f" on_poweroff={d.on_poweroff}" if d.on_poweroff else "")
            + (f" on_reboot={d.on_reboot}" if d.on_reboot else ""))


def indent(text):
    return "\n".join("    | " + line for line in text.splitlines())


def symbolize(elf, text):
    """`rip 0x...` in a guest's error, named from its ELF's symbols."""
    m = re.search(r"rip (0x[0-9a-f]+)", text)
    if not m or not shutil.which("addr2line"):
        return ""
    try:
        out = subprocess.run(["addr2line", "-f", "-C", "-e", elf, m.group(1)],
                             capture_output=True, text=True, timeout=10).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return ""
    if len(out) < 2 or out[0] == "??":
        return ""
    return f" [{m.group(1)} is {out[0]} at {out[1].replace('/proc/self/cwd/', '')}]"


def run_test(name, test, manifest, verbose):
    # The modules: the config, then each distinct kernel once.
    kernels = []
    for d in test.domains:
        expect(d.kernel in manifest, f"guest kernel '{d.kernel}' is not in {MANIFEST} "
               "(add it to tests/guests/BUILD.bazel and build //tests/guests/...)")
        expect(os.path.exists(manifest[d.kernel]), f"{manifest[d.kernel]} is missing: "
               "build //tests/guests/...")
        if d.kernel not in kernels:
            kernels.append(d.kernel)
    names = [d.name or (name if len(test.domains) == 1 else f"{name}_{i}")
             for i, d in enumerate(test.domains, 1)]
    config = "".join(config_line(n, 1 + kernels.index(d.kernel), d) + "\n"
                     for n, d in zip(names, test.domains))

    with tempfile.TemporaryDirectory(prefix=f"hv-guest-{name}-") as tmp:
        cfg = os.path.join(tmp, "domains.cfg")
        with open(cfg, "w") as f:
            f.write(config)
        initrd = initrd_arg([cfg] + [manifest[k] for k in kernels])
        r = hvqemu.boot(smp=test.smp, mem=test.mem, append=APPEND, timeout=TIMEOUT,
                        extra=("-initrd", initrd), send=test.send)

    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, f"{name}.log")
    with open(log, "w") as f:
        f.write("# " + " ".join(f"'{a}'" if " " in a else a for a in r.argv) + "\n")
        f.write("# config:\n" + "".join("#   " + line + "\n" for line in config.splitlines()))
        f.write(r.text + "\n")
    if verbose:
        print(indent(r.text), flush=True)

    def tail():
        return f"\n  console (full log: {os.path.relpath(log, ROOT)}):\n{indent(r.tail(25))}"

    # hv itself first: a panic or a hang explains everything after it.
    panic = r.find(r"PANIC.*")
    expect(not panic and r.exit_code != hvqemu.EXIT_DEBUG_PANIC,
           f"hv panicked: {panic.group(0) if panic else 'QEMU exit status 3'}{tail()}")

    # What explains a silent domain, said once for all of them.
    hints = []
    if r.timed_out:
        hints.append(f"QEMU was still running after {TIMEOUT:g} s")
    warn = r.find(r"warning: .*domains.*")
    if warn:
        hints.append(f"hv said: {warn.group(0)}")

    if not r.find(r"Boot complete"):
        hints.append("hv did not complete its boot")
    elif r.exit_code == 0 and not r.timed_out and not r.find(r"powering off"):
        hints.append("QEMU exited without hv powering off (a reset? QEMU runs with -no-reboot)")

    skipped = []
    for dom_id, (dname, d) in enumerate(zip(names, test.domains), 1):
        prefix = DOMAIN_LINE.replace("{id}", str(dom_id))
        lines = [m.group(1) for m in r.find_all(rf"{prefix}(.*)$")]
        results = [m.group(1) for m in r.find_all(rf"{prefix}Test result: (\S+)\s*$")]
        crashed = r.find(rf"\bd{dom_id} crashed\b.*")
        who = f"d{dom_id} ({dname}, {d.kernel})"
        if d.result is None:
            expect(not results, f"{who} printed 'Test result: {results and results[0]}', "
                   f"expected no result line{tail()}")
        else:
            if not results:
                why = list(hints)
                if crashed:
                    why.append(f"hv said: {crashed.group(0)}")
                if not lines:
                    why.append(f"d{dom_id} printed nothing")
                raise Failure(f"{who} printed no 'Test result:' line"
                              + (f" ({'; '.join(why)})" if why else "") + tail())
            expect(len(results) == 1, f"{who} printed {len(results)} result lines: {results}{tail()}")
            got = results[0]
            expect(got in RESULTS, f"{who} printed an unknown result 'Test result: {got}'{tail()}")
            if got == "SKIP" and d.result != "SKIP":
                reason = [ln for ln in lines if ln.startswith("Skip: ")]
                skipped.append(f"{who}: {reason[-1] if reason else 'skipped'}")
            elif got != d.result:
                before = lines[:lines.index(f"Test result: {got}")] if f"Test result: {got}" in lines else lines
                reason = [ln for ln in before if re.match(r"(Failure|Error|Skip): ", ln)]
                why = reason[-1] if reason else (before[-1] if before else "")
                why += symbolize(manifest[d.kernel], why)
                raise Failure(f"{who}: Test result: {got}, expected {d.result}: {why}"
                              f"\n  {who} said:\n{indent(chr(10).join(before[-15:]))}")
            expect(not crashed, f"{who} printed its result, but then {crashed and crashed.group(0)}"
                   f"{tail()}")
        for pattern in d.console:
            rx = pattern.replace("{dom}", prefix).replace("{id}", str(dom_id))
            expect(r.find(rx), f"{who}: no console line matches /{rx}/"
                   + (f" ({'; '.join(hints)})" if hints else "") + tail())

    expect(not r.timed_out, f"QEMU did not exit within {TIMEOUT:g} s of its start: hv should "
           f"power off once every boot domain has ended (after_boot=poweroff){tail()}")
    expect(r.exit_code == test.exit_code,
           f"QEMU exit status {r.exit_code}, expected {test.exit_code}{tail()}")
    if test.check:
        test.check(r)
    if skipped:
        raise Skipped("; ".join(skipped))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="tests to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the tests and their domains")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every console")
    args = ap.parse_args()

    try:
        manifest = load_manifest()
    except (OSError, ValueError, KeyError) as e:
        print(f"FAIL guests.manifest: cannot read {MANIFEST} ({e}); "
              "build it with `bazel build //tests/guests/...`", flush=True)
        sys.exit(1)
    tests = all_tests(manifest)
    if args.list:
        for name, t in tests.items():
            doms = ", ".join(f"{d.kernel}{' ' + repr(d.cmdline) if d.cmdline else ''}"
                             f" -> {d.result or 'no result'}" for d in t.domains)
            print(f"{name}: {doms}")
        return
    unknown = [n for n in args.names if n not in tests]
    if unknown:
        print(f"run_guests: unknown tests {unknown}; --list shows them", file=sys.stderr)
        sys.exit(2)

    failed = 0
    for name in args.names or tests:
        full = f"guests.{name}"
        try:
            run_test(name, tests[name], manifest, args.verbose)
        except Skipped as e:
            print(f"SKIP {full}: {e}", flush=True)
            continue
        except Failure as e:
            failed += 1
            print(f"FAIL {full}: {e}", flush=True)
            continue
        except Exception as e:  # a broken runner is a failed test, with its reason
            failed += 1
            print(f"FAIL {full}: runner error: {type(e).__name__}: {e}", flush=True)
            continue
        print(f"PASS {full}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
