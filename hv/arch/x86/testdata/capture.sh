#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Captures the ACPI tables that QEMU's pc machine (SeaBIOS) builds, as test
# fixtures for hv/arch/x86/acpi_test.cc. QEMU runs with no boot device, so
# SeaBIOS builds the tables and then stops at "No bootable device"; the monitor
# dumps low memory and the top MiB below 512M (where SeaBIOS puts the tables),
# and the RSDP and every table it reaches are cut out of the dumps.
#
# Usage: hv/arch/x86/testdata/capture.sh [OUTDIR]   (default: beside this script)
# Needs qemu-system-x86_64 and python3. Writes OUTDIR/qemu-pc-smp{1,4}/ and OUTDIR/qemu-q35-smp2/.
set -euo pipefail

out_root="${1:-$(cd "$(dirname "$0")" && pwd)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

readonly kMemMiB=512
# The last MiB of RAM below 512M: SeaBIOS's high ACPI/BIOS tables live there.
readonly kTopBase=$(((kMemMiB - 1) * 1024 * 1024))

capture() {
  local machine="$1" smp="$2"
  local dir="$work/$machine-smp$smp"
  mkdir -p "$dir"
  # The monitor reads commands from stdin; the sleep lets SeaBIOS finish POST.
  # File names are relative (QEMU runs in $dir): the monitor would parse a
  # leading '/' as a division in the size expression.
  (cd "$dir" && {
    sleep 3
    echo "pmemsave 0 0x100000 low.bin"
    echo "pmemsave $kTopBase 0x100000 top.bin"
    sleep 1
    echo "quit"
  } | timeout 60 qemu-system-x86_64 -accel tcg -cpu max -machine "$machine" -smp "$smp" \
    -m "${kMemMiB}M" -nodefaults -display none -no-user-config -monitor stdio \
    >monitor.log 2>&1)
  python3 - "$dir" "$out_root/qemu-$machine-smp$smp" "$kTopBase" "$machine -smp $smp" <<'EOF'
import os, struct, sys

src, dst, top_base, what = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
low = open(os.path.join(src, "low.bin"), "rb").read()
top = open(os.path.join(src, "top.bin"), "rb").read()
regions = [(0, low), (top_base, top)]

def read(pa, n):
    for base, data in regions:
        if base <= pa and pa + n <= base + len(data):
            return data[pa - base:pa - base + n]
    sys.exit("capture: 0x%x+%d is outside the dumps" % (pa, n))

def find_rsdp():
    ebda = struct.unpack_from("<H", low, 0x40E)[0] << 4
    spans = [(ebda, ebda + 1024)] if ebda else []
    spans.append((0xE0000, 0x100000))
    for lo, hi in spans:
        for pa in range(lo, hi, 16):
            if low[pa:pa + 8] == b"RSD PTR " and sum(low[pa:pa + 20]) & 0xFF == 0:
                return pa
    sys.exit("capture: no RSDP")

os.makedirs(dst, exist_ok=True)
for f in os.listdir(dst):
    os.remove(os.path.join(dst, f))
manifest = []

def save(name, pa, data):
    open(os.path.join(dst, name + ".bin"), "wb").write(data)
    manifest.append("%s 0x%x %d" % (name, pa, len(data)))

def table(pa):
    sig, length = struct.unpack_from("<4sI", read(pa, 8))
    data = read(pa, length)
    if sig != b"FACS" and sum(data) & 0xFF:
        sys.exit("capture: bad checksum in %s at 0x%x" % (sig, pa))
    return sig.decode(), data

# The BIOS data area, for its EBDA pointer at 0x40E.
save("bda", 0x400, read(0x400, 0x100))
rsdp = find_rsdp()
rev = read(rsdp, 20)[15]
save("rsdp", rsdp, read(rsdp, 36 if rev >= 2 else 20))
root = struct.unpack_from("<I", read(rsdp, 20), 16)[0]
sig, data = table(root)
save(sig, root, data)
for i in range(36, len(data), 4):
    pa = struct.unpack_from("<I", data, i)[0]
    tsig, tdata = table(pa)
    save(tsig, pa, tdata)
    if tsig == "FACP":
        facs, dsdt = struct.unpack_from("<II", tdata, 36)
        for extra in (facs, dsdt):
            if extra:
                esig, edata = table(extra)
                save(esig, extra, edata)
with open(os.path.join(dst, "manifest.txt"), "w") as f:
    f.write("# name physical-address length (QEMU -machine %s -m 512M, SeaBIOS)\n" % what)
    f.write("\n".join(manifest) + "\n")
print("captured %d blobs into %s" % (len(manifest), dst))
EOF
}

qemu-system-x86_64 --version | head -1
capture pc 1
capture pc 4
# q35's FADT is revision 3 and has the reset register (pc's is revision 1).
capture q35 2
