# SPDX-License-Identifier: Apache-2.0
"""A tiny test harness for the QEMU suites: each check prints one line,
`PASS name` or `FAIL name: why`, which tests/run counts."""
import sys
import traceback


class Failure(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise Failure(message)


class Suite:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def run(self, name, fn, *args):
        full = f"{self.name}.{name}"
        try:
            fn(*args)
        except Failure as e:
            self.failed += 1
            print(f"FAIL {full}: {e}", flush=True)
            return
        except Exception:  # a broken test is a failed test, with its trace
            self.failed += 1
            print(f"FAIL {full}: exception\n{traceback.format_exc()}", flush=True)
            return
        self.passed += 1
        print(f"PASS {full}", flush=True)

    def finish(self):
        sys.exit(1 if self.failed else 0)
