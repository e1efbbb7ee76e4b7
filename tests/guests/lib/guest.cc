// SPDX-License-Identifier: Apache-2.0
// The guest test library (guest.h): start-up, the IDT and exception reports,
// console output, results and assertions.
#include "tests/guests/lib/guest.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/lib/format.h"

// entry.S and the linker script.
extern "C" {
extern const char guest_trap_stubs[];
extern uint64_t guest_catch_rsp;
extern const char guest_catch_resume[];
uint64_t guest_catch(void (*fn)(void*), void* arg);
[[noreturn]] void guest_start(const hv_start_info* start_info);
void guest_trap(guest::TrapFrame* frame);

struct ExTableEntry {
  uint64_t fault;
  uint64_t fixup;
};
extern const ExTableEntry __ex_table_start[];
extern const ExTableEntry __ex_table_end[];
extern void (*const __init_array_start[])();
extern void (*const __init_array_end[])();
extern const char __image_start[];
extern const char __image_end[];
}

namespace guest {
namespace {

constexpr size_t kCmdlineMax = 1024;

hv_start_info g_start_info;
char g_cmdline[kCmdlineMax];
// Set by the first result; a second one (an exception while reporting, say)
// only shuts down.
bool g_reported;
// Depth of guest_trap: an exception inside the handler cannot be reported.
int g_trap_depth;

struct [[gnu::packed]] IdtGate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

alignas(16) IdtGate g_idt[256];

void InstallIdt() {
  uint16_t cs = ReadCs();
  for (int v = 0; v < 256; ++v) {
    uint64_t handler = reinterpret_cast<uint64_t>(guest_trap_stubs) + 16 * static_cast<uint64_t>(v);
    g_idt[v] = IdtGate{
        .offset_low = static_cast<uint16_t>(handler),
        .selector = cs,
        .ist = 0,
        .type_attr = 0x8e,  // present, DPL 0, 64-bit interrupt gate
        .offset_mid = static_cast<uint16_t>(handler >> 16),
        .offset_high = static_cast<uint32_t>(handler >> 32),
        .reserved = 0,
    };
  }
  Lidt(DescriptorPointer{.limit = sizeof(g_idt) - 1, .base = reinterpret_cast<uint64_t>(g_idt)});
}

[[noreturn]] void Halt() {
  for (;;) asm volatile("cli; hlt");
}

[[noreturn]] void ShutDown() {
  int64_t ret = SchedShutdown(HV_SHUTDOWN_POWEROFF);
  Printf("HV_SCHED_SHUTDOWN returned %ld\n", ret);
  Halt();
}

[[noreturn]] void Report(const char* kind, const char* label, const char* fmt, va_list args) {
  if (__atomic_exchange_n(&g_reported, true, __ATOMIC_SEQ_CST)) ShutDown();
  if (fmt != nullptr) {
    char line[512];
    size_t n = hv::Format(line, sizeof(line), "%s: ", label);
    if (n < sizeof(line)) hv::VFormat(line + n, sizeof(line) - n, fmt, args);
    Printf("%s\n", line);
  }
  Printf("Test result: %s\n", kind);
  ShutDown();
}

void CopyCmdline(uint64_t gpa) {
  g_cmdline[0] = '\0';
  if (gpa == 0) return;
  const char* src = reinterpret_cast<const char*>(gpa);
  size_t i = 0;
  for (; i + 1 < kCmdlineMax && gpa + i < g_start_info.memory_bytes && src[i] != '\0'; ++i) {
    g_cmdline[i] = src[i];
  }
  g_cmdline[i] = '\0';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }

void PrintValue(char* buf, size_t size, internal::Value v) {
  switch (v.kind) {
    case internal::Value::kSigned:
      hv::Format(buf, size, "%ld (%#lx)", static_cast<int64_t>(v.bits), v.bits);
      return;
    case internal::Value::kUnsigned:
      hv::Format(buf, size, "%lu (%#lx)", v.bits, v.bits);
      return;
    case internal::Value::kPointer:
      hv::Format(buf, size, "%#lx", v.bits);
      return;
    case internal::Value::kBool:
      hv::Format(buf, size, "%s", v.bits ? "true" : "false");
      return;
    case internal::Value::kOther:
      hv::Format(buf, size, "(not printable)");
      return;
  }
}

}  // namespace

void VPrintf(const char* fmt, va_list args) {
  char buf[512];
  size_t n = hv::VFormat(buf, sizeof(buf), fmt, args);
  if (n > sizeof(buf) - 1) n = sizeof(buf) - 1;
  ConsoleWrite(buf, n);
}

void Printf(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  VPrintf(fmt, args);
  va_end(args);
}

void Puts(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  while (n > 0) {
    size_t chunk = n < HV_CONSOLE_WRITE_MAX ? n : HV_CONSOLE_WRITE_MAX;
    ConsoleWrite(s, chunk);
    s += chunk;
    n -= chunk;
  }
}

void Success() {
  va_list none{};
  Report("SUCCESS", "", nullptr, none);
}

#define GUEST_REPORT_(kind, label) \
  va_list args;                    \
  va_start(args, fmt);             \
  Report(kind, label, fmt, args);

void Failure(const char* fmt, ...) { GUEST_REPORT_("FAILURE", "Failure") }
void Error(const char* fmt, ...) { GUEST_REPORT_("ERROR", "Error") }
void Skip(const char* fmt, ...) { GUEST_REPORT_("SKIP", "Skip") }

const hv_start_info& StartInfo() { return g_start_info; }
const char* Cmdline() { return g_cmdline; }

bool CmdlineGet(const char* key, char* value, size_t size) {
  size_t key_len = 0;
  while (key[key_len] != '\0') ++key_len;
  const char* p = g_cmdline;
  while (*p != '\0') {
    while (IsSpace(*p)) ++p;
    const char* word = p;
    while (*p != '\0' && !IsSpace(*p)) ++p;
    size_t len = static_cast<size_t>(p - word);
    if (len < key_len) continue;
    bool match = true;
    for (size_t i = 0; i < key_len; ++i) match = match && word[i] == key[i];
    if (!match || (len > key_len && word[key_len] != '=')) continue;
    if (value != nullptr && size > 0) {
      const char* v = len > key_len ? word + key_len + 1 : p;
      size_t n = 0;
      for (; v + n < p && n + 1 < size; ++n) value[n] = v[n];
      value[n] = '\0';
    }
    return true;
  }
  return false;
}

uint64_t CmdlineU64(const char* key, uint64_t fallback) {
  char text[32];
  if (!CmdlineGet(key, text, sizeof(text)) || text[0] == '\0') return fallback;
  uint64_t base = 10, v = 0;
  const char* p = text;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p += 2;
  }
  for (; *p != '\0'; ++p) {
    uint64_t digit;
    if (*p >= '0' && *p <= '9') {
      digit = static_cast<uint64_t>(*p - '0');
    } else if (base == 16 && *p >= 'a' && *p <= 'f') {
      digit = static_cast<uint64_t>(*p - 'a' + 10);
    } else if (base == 16 && *p >= 'A' && *p <= 'F') {
      digit = static_cast<uint64_t>(*p - 'A' + 10);
    } else {
      return fallback;
    }
    v = v * base + digit;
  }
  return v;
}

const char* VectorName(uint8_t vector) {
  static const char* const kNames[32] = {
      "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9",  "#TS",
      "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
      "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
  };
  return vector < 32 ? kNames[vector] : "interrupt";
}

bool ProbeRdmsr(uint32_t msr, uint64_t* value, uint64_t* exinfo) {
  uint32_t lo = 0, hi = 0;
  uint64_t ex = 0;
  asm volatile("1: rdmsr\n2:\n\t" GUEST_EXTABLE(1b, 2b) : "+a"(lo), "+d"(hi), "+D"(ex) : "c"(msr));
  if (exinfo != nullptr) *exinfo = ex;
  if (ex != 0) return false;
  *value = (uint64_t{hi} << 32) | lo;
  return true;
}

bool ProbeWrmsr(uint32_t msr, uint64_t value, uint64_t* exinfo) {
  uint64_t ex = 0;
  asm volatile("1: wrmsr\n2:\n\t" GUEST_EXTABLE(1b, 2b)
               : "+D"(ex)
               : "c"(msr), "a"(static_cast<uint32_t>(value)),
                 "d"(static_cast<uint32_t>(value >> 32))
               : "memory");
  if (exinfo != nullptr) *exinfo = ex;
  return ex == 0;
}

uint64_t Catch(void (*fn)(void*), void* arg) {
  if (__atomic_load_n(&guest_catch_rsp, __ATOMIC_RELAXED) != 0) {
    Error("guest::Catch called inside guest::Catch");
  }
  return guest_catch(fn, arg);
}

namespace internal {

void CompareFailed(const char* file, int line, const char* a, const char* op, const char* b,
                   Value va, Value vb) {
  char sa[64], sb[64];
  PrintValue(sa, sizeof(sa), va);
  PrintValue(sb, sizeof(sb), vb);
  Failure("%s:%d: expected %s %s %s, but %s is %s and %s is %s", file, line, a, op, b, a, sa, b,
          sb);
}

uint64_t ExpectException(const char* file, int line, const char* what, uint8_t vector,
                         uint64_t exinfo) {
  if (exinfo == 0) {
    Failure("%s:%d: expected %s (vector %u) from %s, but nothing was raised", file, line,
            VectorName(vector), vector, what);
  }
  if (ExVector(exinfo) != vector) {
    Failure("%s:%d: expected %s (vector %u) from %s, but got %s (vector %u, error code %#x)", file,
            line, VectorName(vector), vector, what, VectorName(ExVector(exinfo)), ExVector(exinfo),
            ExErrorCode(exinfo));
  }
  return exinfo;
}

}  // namespace internal
}  // namespace guest

using guest::TrapFrame;

namespace guest {
namespace {
InterruptHandler g_interrupt[256];
alignas(4096) hv_event_page g_event_page;
volatile uint64_t g_upcalls = 0;
void Upcall(TrapFrame*) { g_upcalls = g_upcalls + 1; }
}  // namespace

void SetInterruptHandler(uint8_t vector, InterruptHandler fn) { g_interrupt[vector] = fn; }
hv_event_page& EventPage() { return g_event_page; }
uint64_t UpcallCount() { return g_upcalls; }

void EnableEvents(uint8_t vector) {
  SetInterruptHandler(vector, Upcall);
  const int64_t r = EvtchnInit(&g_event_page);
  if (r != HV_OK && r != HV_EEXIST) Error("HV_EVTCHN_INIT: %ld", r);
  if (EvtchnSetUpcall(vector) != HV_OK) Error("HV_EVTCHN_SET_UPCALL(%u) failed", vector);
}

bool TakePending(uint32_t port) {
  const uint64_t bit = uint64_t{1} << (port % 64);
  return __atomic_fetch_and(&g_event_page.pending[port / 64], ~bit, __ATOMIC_SEQ_CST) & bit;
}
}  // namespace guest

extern "C" void guest_trap(TrapFrame* frame) {
  if (frame->vector >= 32 && guest::g_interrupt[frame->vector]) {
    guest::g_interrupt[frame->vector](frame);  // an interrupt: no fixups, no depth
    return;
  }
  ++guest::g_trap_depth;
  if (guest::g_trap_depth > 1) {
    // The handler itself faulted (maybe the console hypercall): give up
    // without touching anything else. The runner sees no result line.
    guest::Halt();
  }
  uint64_t exinfo =
      guest::kExValid | ((frame->error_code & 0xffffffff) << 16) | (frame->vector & 0xff);

  // A fixup for this instruction (GUEST_EXTABLE): resume there, exinfo in RDI.
  for (const ExTableEntry* e = __ex_table_start; e < __ex_table_end; ++e) {
    if (e->fault == frame->rip) {
      frame->rip = e->fixup;
      frame->rdi = exinfo;
      --guest::g_trap_depth;
      return;
    }
  }
  // Inside guest::Catch: abandon the function, return exinfo from Catch.
  if (guest_catch_rsp != 0) {
    frame->rsp = guest_catch_rsp;
    frame->rip = reinterpret_cast<uint64_t>(guest_catch_resume);
    frame->rax = exinfo;
    --guest::g_trap_depth;
    return;
  }

  uint8_t v = static_cast<uint8_t>(frame->vector);
  guest::Printf("Unexpected exception %s (vector %u) at rip %#018lx, error code %#lx\n",
                guest::VectorName(v), v, frame->rip, frame->error_code);
  guest::Printf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", frame->rax, frame->rbx,
                frame->rcx, frame->rdx);
  guest::Printf("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", frame->rsi, frame->rdi,
                frame->rbp, frame->rsp);
  guest::Printf("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", frame->r8, frame->r9, frame->r10,
                frame->r11);
  guest::Printf("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", frame->r12, frame->r13,
                frame->r14, frame->r15);
  guest::Printf("  cs %04lx rflags %08lx cr0 %08lx cr2 %016lx cr3 %016lx cr4 %08lx\n", frame->cs,
                frame->rflags, guest::ReadCr0(), guest::ReadCr2(), guest::ReadCr3(),
                guest::ReadCr4());
  guest::Error("unexpected exception %s (vector %u) at rip %#018lx, error code %#lx",
               guest::VectorName(v), v, frame->rip, frame->error_code);
}

extern "C" void guest_start(const hv_start_info* start_info) {
  guest::InstallIdt();
  for (auto* ctor = __init_array_start; ctor < __init_array_end; ++ctor) (*ctor)();
  if (start_info == nullptr || start_info->magic != HV_START_INFO_MAGIC) {
    guest::Error("no start info: RSI was %p, magic %#lx (expected %#llx)",
                 static_cast<const void*>(start_info),
                 start_info != nullptr ? start_info->magic : 0, HV_START_INFO_MAGIC);
  }
  guest::g_start_info = *start_info;
  guest::CopyCmdline(start_info->cmdline_gpa);
  guest::Printf("hv guest test: domain %u, %u vCPUs, %lu KiB, image [%p, %p), cmdline \"%s\"\n",
                guest::g_start_info.domain_id, guest::g_start_info.vcpu_count,
                guest::g_start_info.memory_bytes >> 10, static_cast<const void*>(__image_start),
                static_cast<const void*>(__image_end), guest::g_cmdline);
  test_main();
  guest::Success();
}
