// SPDX-License-Identifier: Apache-2.0
// The guest test library: what a test kernel (tests/guests/*.cc) programs
// against. A test defines
//
//   void test_main();
//
// which the library calls once the stack, .bss, the IDT and the start info
// are set up. The test ends with exactly one result line on its console,
// "Test result: SUCCESS|FAILURE|ERROR|SKIP", printed by Success(), Failure(),
// Error() or Skip(), which then shut the domain down (HV_SCHED_SHUTDOWN). If
// test_main() returns, that is Success(). An exception nobody expected is an
// Error() naming the vector, RIP and error code.
//
//   FAILURE  an assertion about hv's behaviour failed (GUEST_ASSERT*)
//   ERROR    the test could not run as written (an unexpected exception...)
//   SKIP     the test does not apply here
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <type_traits>
#include <utility>

#include "hv/start_info.h"
#include "tests/guests/lib/cpu.h"        // IWYU pragma: export
#include "tests/guests/lib/hypercall.h"  // IWYU pragma: export

// The test's body.
void test_main();

namespace guest {

// Console output through HV_CONSOLE_WRITE. Printf supports what hv::Format
// does (%d %i %u %x %X %o %p %s %c with flags, width, precision and the
// length modifiers hh h l ll z j t); one call prints at most 511 bytes.
void Printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void VPrintf(const char* fmt, va_list args);
void Puts(const char* s);  // s as it is, any length, no newline added

// Results. Each prints its message (if any) as a line "<Kind>: message", then
// "Test result: <KIND>", and ends the domain. Only the first result counts.
[[noreturn]] void Success();
[[noreturn]] void Failure(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void Error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void Skip(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Interrupts (vectors 32..255), e.g. hv's event upcall: fn runs on the
// interrupt's stack frame, then the interrupted code resumes.
struct TrapFrame;
using InterruptHandler = void (*)(TrapFrame* frame);
void SetInterruptHandler(uint8_t vector, InterruptHandler fn);

// Events (api/hv/evtchn.h): registers a page-aligned event page and this
// vCPU's upcall vector, and counts upcalls in UpcallCount().
hv_event_page& EventPage();
void EnableEvents(uint8_t vector);
uint64_t UpcallCount();
// Takes (test-and-clears) the port's pending bit.
bool TakePending(uint32_t port);

// What hv told us at start (api/hv/start_info.h), copied at entry.
const hv_start_info& StartInfo();
inline uint32_t DomainId() { return StartInfo().domain_id; }
inline uint32_t VcpuCount() { return StartInfo().vcpu_count; }
inline uint64_t MemoryBytes() { return StartInfo().memory_bytes; }
// The domain's command line ("" if none), copied at entry (at most 1023 bytes).
const char* Cmdline();
// Finds a whitespace-separated "key=value" (or bare "key") in the command
// line. Returns false if absent; else copies the value (NUL-terminated,
// truncated to size) into value if it is not null.
bool CmdlineGet(const char* key, char* value = nullptr, size_t size = 0);
// The value of "key=<number>" (decimal or 0x hex), or fallback.
uint64_t CmdlineU64(const char* key, uint64_t fallback);

// Exceptions.
//
// An exinfo describes a caught exception: kExValid | error code << 16 | vector.
// 0 means none was raised.
inline constexpr uint64_t kExValid = 1ull << 63;
inline constexpr uint8_t ExVector(uint64_t exinfo) { return static_cast<uint8_t>(exinfo); }
inline constexpr uint32_t ExErrorCode(uint64_t exinfo) {
  return static_cast<uint32_t>(exinfo >> 16);
}
const char* VectorName(uint8_t vector);  // "#GP", "#PF", ...

// Exception fixups, as Linux's _ASM_EXTABLE: an instruction at label `fault`
// that raises an exception resumes at label `fixup`, with the exinfo in RDI.
// Bind RDI to an in/out operand that starts at 0 ("+D"(exinfo)): it stays 0
// unless the instruction faulted. See ProbeRdmsr in guest.cc.
#define GUEST_EXTABLE(fault, fixup) \
  ".pushsection .ex_table, \"a\"\n\t.balign 8\n\t.quad " #fault ", " #fixup "\n\t.popsection\n\t"

// RDMSR/WRMSR that return false on an exception (a #GP) instead of an error,
// with the exception's exinfo in *exinfo if that is not null.
bool ProbeRdmsr(uint32_t msr, uint64_t* value, uint64_t* exinfo = nullptr);
bool ProbeWrmsr(uint32_t msr, uint64_t value, uint64_t* exinfo = nullptr);

// Runs fn(arg) and returns 0; if an exception is raised on the way, the rest
// of fn is abandoned and Catch returns its exinfo. Not nested. The caught
// code must not hold anything that needs undoing (a lock, a changed IDT).
uint64_t Catch(void (*fn)(void*), void* arg);
template <typename F>
uint64_t Catch(F&& f) {
  using Fn = std::remove_reference_t<F>;
  return Catch([](void* p) { (*static_cast<Fn*>(p))(); }, &f);
}
// Fails unless f raises `vector`; returns the exinfo.
#define GUEST_EXPECT_EXCEPTION(vector, ...)                                      \
  ::guest::internal::ExpectException(__FILE__, __LINE__, #__VA_ARGS__, (vector), \
                                     ::guest::Catch(__VA_ARGS__))

// The saved state of an exception (entry.S pushes it in this order).
struct TrapFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};
static_assert(sizeof(TrapFrame) == 22 * 8);

// Assertions: a Failure() naming the file, line, expression and values.
#define GUEST_ASSERT(cond)                                                               \
  do {                                                                                   \
    if (!(cond)) ::guest::Failure("%s:%d: GUEST_ASSERT(%s)", __FILE__, __LINE__, #cond); \
  } while (0)

#define GUEST_ASSERT_EQ(a, b) GUEST_ASSERT_OP_(a, b, ==, ::guest::internal::Equal(va_, vb_))
#define GUEST_ASSERT_NE(a, b) GUEST_ASSERT_OP_(a, b, !=, !::guest::internal::Equal(va_, vb_))

#define GUEST_ASSERT_OP_(a, b, op, holds)                                 \
  do {                                                                    \
    const auto& va_ = (a);                                                \
    const auto& vb_ = (b);                                                \
    if (!(holds)) {                                                       \
      ::guest::internal::CompareFailed(__FILE__, __LINE__, #a, #op, #b,   \
                                       ::guest::internal::Describe(va_),  \
                                       ::guest::internal::Describe(vb_)); \
    }                                                                     \
  } while (0)

namespace internal {

// A value as an assertion message shows it.
struct Value {
  enum Kind : uint8_t { kSigned, kUnsigned, kPointer, kBool, kOther } kind;
  uint64_t bits;
};

template <typename T>
Value Describe(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return {Value::kBool, v ? 1u : 0u};
  } else if constexpr (std::is_enum_v<T>) {
    return Describe(static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    return {Value::kSigned, static_cast<uint64_t>(static_cast<int64_t>(v))};
  } else if constexpr (std::is_integral_v<T>) {
    return {Value::kUnsigned, static_cast<uint64_t>(v)};
  } else if constexpr (std::is_pointer_v<T> || std::is_array_v<T>) {
    return {Value::kPointer, reinterpret_cast<uint64_t>(static_cast<const void*>(v))};
  } else {
    return {Value::kOther, 0};
  }
}

// What std::cmp_equal takes: integers, but not bool or the character types.
template <typename T>
inline constexpr bool kIsStandardInteger =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
    !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> && !std::is_same_v<T, char16_t> &&
    !std::is_same_v<T, char32_t>;

template <typename A, typename B>
bool Equal(const A& a, const B& b) {
  if constexpr (kIsStandardInteger<A> && kIsStandardInteger<B>) {
    return std::cmp_equal(a, b);  // no surprises from mixed signedness
  } else {
    return a == b;
  }
}

[[noreturn]] void CompareFailed(const char* file, int line, const char* a, const char* op,
                                const char* b, Value va, Value vb);
uint64_t ExpectException(const char* file, int line, const char* what, uint8_t vector,
                         uint64_t exinfo);

}  // namespace internal
}  // namespace guest
