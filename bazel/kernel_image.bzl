# SPDX-License-Identifier: Apache-2.0
"""hv_image: the bootable hypervisor image from a freestanding cc_binary.

A transition builds the binary for the kernel platform, so one
`bazel build //...` builds host code and hv together (the cc_binary itself is
target_compatible_with os:none and skipped on the host platform). After
linking, the function symbols are written into the image's reserved .hvsyms
section, so panic reports are symbolized; the section's size is fixed, so
nothing moves.
"""

def _kernel_platform_impl(settings, attr):
    return {"//command_line_option:platforms": str(attr.platform)}

_kernel_platform = transition(
    implementation = _kernel_platform_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _hv_image_impl(ctx):
    binary = ctx.attr.binary[0] if type(ctx.attr.binary) == "list" else ctx.attr.binary
    elf = binary[DefaultInfo].files.to_list()[0]
    out = ctx.actions.declare_file(ctx.label.name)
    nm_out = ctx.actions.declare_file(ctx.label.name + ".nm")
    blob = ctx.actions.declare_file(ctx.label.name + ".hvsyms")
    ctx.actions.run_shell(
        inputs = [elf, ctx.file._gen_symbols],
        outputs = [out, nm_out, blob],
        command = """
set -eu
elf="$1"; gen="$2"; nm_out="$3"; blob="$4"; out="$5"
hex=$(objdump -h "$elf" | awk '$2 == ".hvsyms" { print $3 }')
[ -n "$hex" ] || { echo "hv_image: $elf has no .hvsyms section" >&2; exit 1; }
size=$((16#$hex))
nm -n -S -C --defined-only "$elf" > "$nm_out"
python3 "$gen" "$nm_out" "$size" "$blob"
objcopy --update-section .hvsyms="$blob" "$elf" "$out"
""",
        arguments = [elf.path, ctx.file._gen_symbols.path, nm_out.path, blob.path, out.path],
        mnemonic = "HvImage",
        progress_message = "Embedding symbols into %s" % out.short_path,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([out]))]

hv_image = rule(
    implementation = _hv_image_impl,
    attrs = {
        "binary": attr.label(mandatory = True, cfg = _kernel_platform),
        "platform": attr.label(default = "//toolchains:x86_64_kernel"),
        "_gen_symbols": attr.label(default = "//hv/tools:gen_symbols.py", allow_single_file = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
