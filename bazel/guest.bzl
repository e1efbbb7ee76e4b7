# SPDX-License-Identifier: Apache-2.0
"""Guest test kernels: tiny freestanding ELF64 images that hv runs as domains.

    load("//bazel:guest.bzl", "hv_guest_manifest", "hv_guest_test")

    hv_guest_test(name = "hello", srcs = ["hello.cc"])
    ...
    hv_guest_manifest(name = "guests")  # last in the BUILD file

`hv_guest_test(name, srcs, deps)` makes two targets:
  - `<name>_kernel`: a cc_binary linked with the guest library and its linker
    script (tests/guests/lib), target_compatible_with os:none, so the host
    configuration skips it;
  - `<name>`: the same binary built for //toolchains:x86_64_kernel through a
    transition (as bazel/kernel_image.bzl does for hv; unstripped), written to
    bazel-bin/<package>/<name>.elf.

`hv_guest_manifest(name)` lists every hv_guest_test of its package in
bazel-bin/<package>/<name>.json ({"guests": [{"name", "elf"}]}, elf relative
to bazel-bin); building it builds them all. tests/guests/run_guests.py reads it.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")

_GUEST_LIB = "//tests/guests/lib"
_GUEST_LINKER_SCRIPT = "//tests/guests/lib:linker.ld"

# The kernel platform, unstripped: fastbuild would drop -g's line tables, and
# the runner names the file and line of an unexpected exception's RIP.
def _guest_platform_impl(settings, attr):
    return {
        "//command_line_option:platforms": str(attr.platform),
        "//command_line_option:strip": "never",
    }

_guest_platform = transition(
    implementation = _guest_platform_impl,
    inputs = [],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:strip",
    ],
)

def _guest_kernel_impl(ctx):
    binary = ctx.attr.binary[0] if type(ctx.attr.binary) == "list" else ctx.attr.binary
    elf = binary[DefaultInfo].files.to_list()[0]
    out = ctx.actions.declare_file(ctx.label.name + ".elf")
    ctx.actions.symlink(output = out, target_file = elf)
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

guest_kernel = rule(
    implementation = _guest_kernel_impl,
    doc = "A guest ELF built for the freestanding kernel platform.",
    attrs = {
        "binary": attr.label(mandatory = True, cfg = _guest_platform),
        "platform": attr.label(default = "//toolchains:x86_64_kernel"),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def hv_guest_test(name, srcs, deps = [], copts = [], visibility = None, **kwargs):
    """A guest test kernel: srcs define `void test_main()` (tests/guests/lib/guest.h)."""
    cc_binary(
        name = name + "_kernel",
        srcs = srcs,
        copts = copts,
        additional_linker_inputs = [_GUEST_LINKER_SCRIPT],
        linkopts = ["-Wl,-T,$(location %s)" % _GUEST_LINKER_SCRIPT],
        target_compatible_with = ["@platforms//os:none"],
        deps = [_GUEST_LIB] + deps,
        visibility = ["//visibility:private"],
        **kwargs
    )
    guest_kernel(
        name = name,
        binary = ":" + name + "_kernel",
        visibility = visibility,
    )

def _guest_manifest_impl(ctx):
    guests = []
    for name, kernel in zip(ctx.attr.names, ctx.attr.kernels):
        elf = kernel[DefaultInfo].files.to_list()[0]
        guests.append({"name": name, "elf": elf.short_path})
    out = ctx.actions.declare_file(ctx.label.name + ".json")
    ctx.actions.write(out, json.encode_indent({"guests": guests}) + "\n")
    files = [out] + [k[DefaultInfo].files.to_list()[0] for k in ctx.attr.kernels]
    return [DefaultInfo(files = depset(files), runfiles = ctx.runfiles(files = files))]

_guest_manifest = rule(
    implementation = _guest_manifest_impl,
    attrs = {
        "kernels": attr.label_list(mandatory = True),
        "names": attr.string_list(mandatory = True),
    },
)

def hv_guest_manifest(name, **kwargs):
    """Lists the package's guest kernels; call it after every hv_guest_test."""
    kernels = sorted([
        r["name"]
        for r in native.existing_rules().values()
        if r["kind"] == "guest_kernel"
    ])
    _guest_manifest(
        name = name,
        kernels = [":" + k for k in kernels],
        names = kernels,
        **kwargs
    )
