// SPDX-License-Identifier: Apache-2.0
// The few libc functions gcc emits calls to even with -ffreestanding (struct
// copies, zero-initialisation, builtins it does not expand inline). Kernel
// build only: on the host these would clash with the real libc.
//
// The toolchain passes -fno-tree-loop-distribute-patterns, so the loops below
// are not turned back into calls to themselves.
#include <stddef.h>
#include <stdint.h>

extern "C" {

void* memset(void* dst, int c, size_t n) {
  // ERMS makes "rep stosb" the fastest general choice on every CPU hv targets.
  void* d = dst;
  asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dst;
}

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  void* d = dst;
  asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  // Forward copy is safe unless dst starts inside [src, src + n).
  if (reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s) >= n) {
    return memcpy(dst, src, n);
  }
  // Backward byte loop: "std; rep movsb" is slow and the case is rare.
  while (n != 0) {
    --n;
    d[n] = s[n];
  }
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

}  // extern "C"
