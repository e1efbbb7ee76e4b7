# SPDX-License-Identifier: Apache-2.0
"""C++ protobuf/gRPC code generated with the system protoc + grpc_cpp_plugin."""

_PROTOC = "@system_bin//:protoc"
_GRPC_PLUGIN = "@system_bin//:grpc_cpp_plugin"

def cc_grpc_library(name, srcs, deps = [], grpc = True, visibility = None, **kwargs):
    """Generates and compiles <x>.pb.{h,cc} (+ <x>.grpc.pb.{h,cc}) for each .proto.

    Args:
      name: name of the resulting cc_library.
      srcs: .proto files in this package (import them as "<package>/<file>.proto").
      deps: other cc_grpc_library targets whose .proto files are imported.
      grpc: also run grpc_cpp_plugin (set False for message-only protos).
      visibility: visibility of the cc_library.
      **kwargs: forwarded to the cc_library.
    """
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]

    tools = [_PROTOC]
    cmd = "$(execpath %s) -I. --cpp_out=$(GENDIR)" % _PROTOC
    if grpc:
        tools.append(_GRPC_PLUGIN)
        cmd += " --plugin=protoc-gen-grpc=$(execpath %s) --grpc_out=$(GENDIR)" % _GRPC_PLUGIN
    cmd += " " + " ".join(["$(execpath %s)" % s for s in srcs])

    # Expose the .proto files so that dependent cc_grpc_library targets can import them.
    native.filegroup(name = name + "_protos", srcs = srcs, visibility = visibility)

    native.genrule(
        name = name + "_codegen",
        srcs = srcs + [d + "_protos" for d in deps],
        outs = outs,
        tools = tools,
        cmd = cmd,
        message = "protoc (system) %s" % name,
    )

    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["//third_party:protobuf"] + (["//third_party:grpc++"] if grpc else []),
        visibility = visibility,
        **kwargs
    )
