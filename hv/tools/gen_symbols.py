#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Turns `nm -n -S -C --defined-only hv.elf` into the .hvsyms blob that
hv/core/symbols.h reads: code symbols only, sorted by address, padded to the
section's reserved size."""
import struct
import sys


def main():
    nm_output, reserved, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    syms = []
    for line in open(nm_output, encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split(" ", 3)
        if len(parts) >= 4 and len(parts[2]) == 1:  # address size type name
            addr, size, kind, name = int(parts[0], 16), int(parts[1], 16), parts[2], parts[3]
        elif len(parts) >= 3 and len(parts[1]) == 1:  # address type name (no size)
            addr, size, kind, name = int(parts[0], 16), 0, parts[1], " ".join(parts[2:])
        else:
            continue
        if kind not in "tTwW":
            continue
        syms.append((addr, size, name))
    syms.sort()
    strings = bytearray()
    entries = bytearray()
    for addr, size, name in syms:
        entries += struct.pack("<QII", addr, min(size, 0xFFFFFFFF), len(strings))
        strings += name.encode() + b"\0"
    header_size = 24
    strings_offset = header_size + len(entries)
    total = strings_offset + len(strings)
    blob = struct.pack("<8sIIII", b"HVSYMS1\0", len(syms), strings_offset, total, 0)
    blob += entries + strings
    if len(blob) > reserved:
        sys.exit(f"gen_symbols: table is {len(blob)} bytes, .hvsyms reserves {reserved}: "
                 "raise kSymbolTableSize in hv/arch/x86/symbols_area.cc")
    blob += b"\0" * (reserved - len(blob))
    open(out, "wb").write(blob)


if __name__ == "__main__":
    main()
