# SPDX-License-Identifier: Apache-2.0
"""The freestanding x86_64 toolchain for hv, made of the host gcc and binutils."""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)

_C_COMPILE = [ACTION_NAMES.c_compile]
_CXX_COMPILE = [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing]
_ASM = [ACTION_NAMES.assemble, ACTION_NAMES.preprocess_assemble]
_LINK = [ACTION_NAMES.cpp_link_executable]

_COMMON_FLAGS = [
    "-ffreestanding",
    "-fno-pic",
    "-fno-pie",
    "-mno-red-zone",
    "-mcmodel=kernel",
    "-mno-mmx",
    "-mno-sse",
    "-mno-sse2",
    # No x87/SSE state in ring 0, and no memset/memcpy calls made out of loops
    # (they would recurse inside memset itself).
    "-mgeneral-regs-only",
    "-fno-tree-loop-distribute-patterns",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-fno-omit-frame-pointer",
    # Switches become compare chains, not jumps through a table: no indirect
    # branch for Spectre v2 to steer (Linux does the same with retpolines),
    # and under TCG no jump-cache lookup on every #VMEXIT.
    "-fno-jump-tables",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-O2",
    "-g",
]

_CXX_FLAGS = [
    "-std=c++20",
    "-fno-exceptions",
    "-fno-rtti",
    "-fno-threadsafe-statics",
    "-fno-use-cxa-atexit",
]

_LINK_FLAGS = [
    "-nostdlib",
    "-static",
    "-no-pie",
    "-Wl,--build-id=sha1",  # hv prints it in its banner
    "-Wl,-z,max-page-size=0x1000",
    "-Wl,-z,noexecstack",
    "-Wl,--no-warn-rwx-segments",
]

def _impl(ctx):
    features = [
        feature(
            name = "kernel_compile_flags",
            enabled = True,
            flag_sets = [
                flag_set(actions = _C_COMPILE + _CXX_COMPILE + _ASM, flag_groups = [flag_group(flags = _COMMON_FLAGS)]),
                flag_set(actions = _CXX_COMPILE, flag_groups = [flag_group(flags = _CXX_FLAGS)]),
            ],
        ),
        feature(
            name = "kernel_link_flags",
            enabled = True,
            flag_sets = [flag_set(actions = _LINK, flag_groups = [flag_group(flags = _LINK_FLAGS)])],
        ),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        toolchain_identifier = "x86_64-kernel-gcc",
        host_system_name = "x86_64-linux-gnu",
        target_system_name = "x86_64-none-elf",
        target_cpu = "x86_64",
        target_libc = "none",
        compiler = "gcc",
        abi_version = "none",
        abi_libc_version = "none",
        # gcc's freestanding C headers, and libstdc++'s for the freestanding
        # C++ library (<atomic>, <compare>, <type_traits>...); those include a
        # few glibc configuration headers (features.h) from /usr/include. No
        # libc function can be used all the same: hv links with -nostdlib.
        cxx_builtin_include_directories = [
            "/usr/lib/gcc/x86_64-linux-gnu",
            "/usr/include",
        ],
        tool_paths = [
            tool_path(name = "gcc", path = "/usr/bin/gcc"),
            tool_path(name = "cpp", path = "/usr/bin/cpp"),
            tool_path(name = "ld", path = "/usr/bin/ld"),
            tool_path(name = "ar", path = "/usr/bin/ar"),
            tool_path(name = "nm", path = "/usr/bin/nm"),
            tool_path(name = "objcopy", path = "/usr/bin/objcopy"),
            tool_path(name = "objdump", path = "/usr/bin/objdump"),
            tool_path(name = "strip", path = "/usr/bin/strip"),
            tool_path(name = "gcov", path = "/usr/bin/gcov"),
        ],
    )

kernel_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
