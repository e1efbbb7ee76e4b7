// SPDX-License-Identifier: Apache-2.0
// hv's boot on x86: from the multiboot entry to every CPU up, all free memory
// scrubbed and one summary line on the console.
#include <atomic>

#include "hv/arch/x86/acpi.h"
#include "hv/arch/x86/address_space.h"
#include "hv/arch/x86/console_devices.h"
#include "hv/arch/x86/cpu.h"
#include "hv/arch/x86/lapic.h"
#include "hv/arch/x86/layout.h"
#include "hv/arch/x86/multiboot.h"
#include "hv/arch/x86/percpu.h"
#include "hv/arch/x86/platform.h"
#include "hv/arch/x86/power.h"
#include "hv/arch/x86/guest_boot.h"
#include "hv/arch/x86/smp.h"
#include "hv/arch/x86/svm.h"
#include "hv/arch/x86/time.h"
#include "hv/arch/x86/vcpu.h"
#include "hv/arch/x86/vcpu_arch.h"
#include "hv/arch/x86/traps.h"
#include "hv/core/arch.h"
#include "hv/core/cmdline.h"
#include "hv/core/console.h"
#include "hv/core/domain_config.h"
#include "hv/core/bzimage.h"
#include "hv/core/domains.h"
#include "hv/core/elf.h"
#include "hv/core/events.h"
#include "hv/core/heap.h"
#include "hv/core/hypercall.h"
#include "hv/core/panic.h"
#include "hv/core/sched.h"
#include "hv/core/symbols.h"
#include "hv/core/timer.h"
#include "hv/core/version.h"
#include "hv/lib/format.h"
#include "hv/lib/log.h"

extern "C" char boot_stack[], boot_stack_top[];
extern "C" const uint8_t hv_symbol_table[];
extern "C" const uint32_t hv_symbol_table_size;
extern "C" const uint8_t __build_id_note[];
extern "C" void* memset(void* dst, int c, size_t n);

namespace hv::x86 {
namespace {

// Large results live here, not on the 16 KiB boot stack.
BootInfo g_boot;
AcpiInfo g_acpi;
BootOptions g_options;

constexpr uint64_t kMiB = 1024 * 1024;

// Reads physical memory through the direct map, but only where hv mapped it:
// the first MiB and the firmware's memory map (hv's page tables map nothing
// else, and the parsers read addresses that came from outside).
class DirectMapReader final : public PhysReader {
 public:
  const void* Map(PhysAddr pa, uint64_t len) const override {
    const uint64_t n = len ? len : 1;
    const uint64_t end = pa.value() + n;
    if (end < pa.value()) return nullptr;
    bool ok = end <= 0x100000;
    for (size_t i = 0; !ok && i < g_boot.mem_count; ++i) {
      ok = pa >= g_boot.mem[i].range.start && PhysAddr(end) <= g_boot.mem[i].range.end;
    }
    return ok ? arch::PhysToVirt(pa) : nullptr;
  }
};

void PrintBanner() {
  // The GNU build-id note: namesz, descsz, type, "GNU\0", then the id.
  const auto* note = reinterpret_cast<const uint32_t*>(__build_id_note);
  char id[41] = "none";
  if (note[0] == 4 && note[1] <= 20 && note[2] == 3) {
    static constexpr char kHex[] = "0123456789abcdef";
    const uint8_t* bytes = __build_id_note + 16;
    for (uint32_t i = 0; i < note[1]; ++i) {
      id[2 * i] = kHex[bytes[i] >> 4];
      id[2 * i + 1] = kHex[bytes[i] & 15];
    }
    id[2 * note[1]] = '\0';
  }
  HV_INFO("hv %s, build id %s", HV_VERSION, id);
  hypercall::SetBuildId(id);
  HV_INFO("command line: %s", g_boot.cmdline);
}

void PrintMemoryMap() {
  HV_INFO("memory map (%s):", g_boot.mem_from_mmap ? "multiboot mmap" : "mem_lower/mem_upper");
  for (size_t i = 0; i < g_boot.mem_count; ++i) {
    const MemRange& r = g_boot.mem[i];
    HV_INFO("  [%016lx, %016lx) %s", r.range.start.value(), r.range.end.value(),
            MemTypeName(r.type));
  }
  for (size_t i = 0; i < g_boot.module_count; ++i) {
    const BootModule& m = g_boot.modules[i];
    HV_INFO("module %zu: [%016lx, %016lx) %s", i, m.range.start.value(), m.range.end.value(),
            m.cmdline);
  }
}

uint64_t UsableBytes() {
  uint64_t total = 0;
  for (size_t i = 0; i < g_boot.mem_count; ++i) {
    if (g_boot.mem[i].type == MemType::kUsable) total += g_boot.mem[i].range.size();
  }
  return total;
}

// The page allocator: its metadata at the top of a free range below the
// boot-mapped limit, then every free page from the memory map, except the
// first MiB (firmware areas, the AP trampoline), hv's image and the modules.
bool InitHeap(uint64_t mapped_limit, uint64_t* metadata_bytes) {
  uint64_t top = 0;
  for (size_t i = 0; i < g_boot.mem_count; ++i) {
    if (g_boot.mem[i].type == MemType::kUsable) top = g_boot.mem[i].range.end.value();
  }
  if (top > mapped_limit) top = mapped_limit;
  const uint64_t end_pfn = top >> kPageShift;
  const uint64_t bytes = AlignUp(PageAllocator::MetadataBytes(0, end_pfn), kPageSize);

  // FreeMemory() leaves out the image and the modules itself.
  PhysRange reserved[2];
  size_t n_reserved = 0;
  reserved[n_reserved++] = {PhysAddr(0), PhysAddr(0x100000)};

  static PhysRange free_ranges[kMaxMemRanges];
  size_t n = FreeMemory(g_boot, address_space::ImageRange(), reserved, n_reserved, free_ranges,
                        kMaxMemRanges);
  PhysRange metadata{};
  for (size_t i = n; i-- > 0;) {
    const uint64_t end = free_ranges[i].end.value() < top ? free_ranges[i].end.value() : top;
    if (end > free_ranges[i].start.value() && end - free_ranges[i].start.value() >= bytes) {
      metadata = {PhysAddr(end - bytes), PhysAddr(end)};
      break;
    }
  }
  if (metadata.end.value() == 0) {
    HV_ERROR("no room for %lu KiB of page metadata", bytes / 1024);
    return false;
  }
  void* meta = arch::PhysToVirt(metadata.start);
  if (heap::Init(meta, bytes, 0, end_pfn) != PageStatus::kOk) return false;
  reserved[n_reserved++] = metadata;
  n = FreeMemory(g_boot, address_space::ImageRange(), reserved, n_reserved, free_ranges,
                 kMaxMemRanges);
  for (size_t i = 0; i < n; ++i) {
    PhysAddr s = free_ranges[i].start, e = free_ranges[i].end;
    if (s.value() >= top) continue;
    if (e.value() > top) e = PhysAddr(top);
    if (heap::AddFree(s, e, 0) != PageStatus::kOk) {
      HV_WARN("memory [%lx, %lx) not used", s.value(), e.value());
    }
  }
  *metadata_bytes = bytes;
  return true;
}

// A free page below 1 MiB for the AP trampoline, from usable low memory.
PhysAddr TrampolinePage() {
  for (size_t i = 0; i < g_boot.mem_count; ++i) {
    const MemRange& r = g_boot.mem[i];
    if (r.type != MemType::kUsable) continue;
    // Above the real-mode IVT/BDA, inside usable RAM, below the EBDA.
    const uint64_t start =
        AlignUp(r.range.start.value() > 0x8000 ? r.range.start.value() : 0x8000, kPageSize);
    if (start + kPageSize <= r.range.end.value() && start + kPageSize <= 0x9f000) {
      return PhysAddr(start);
    }
  }
  return PhysAddr(0);
}

void ConfigurePower() {
  power::Config c;
  if (g_acpi.fadt.present && !g_acpi.fadt.hw_reduced) {
    c.pm1a_control = g_acpi.fadt.pm1a_cnt_port;
    c.pm1b_control = g_acpi.fadt.pm1b_cnt_port;
  }
  c.have_s5 = g_acpi.has_s5;
  c.s5_type_a = g_acpi.s5.slp_typ_a;
  c.s5_type_b = g_acpi.s5.slp_typ_b;
  if (g_acpi.fadt.reset_supported && g_acpi.fadt.reset_reg.space_id == kAcpiSpaceIo) {
    c.have_reset_port = true;
    c.reset_port = static_cast<uint16_t>(g_acpi.fadt.reset_reg.address);
    c.reset_value = g_acpi.fadt.reset_value;
  }
  power::Configure(c);
}

PanicAction ToPanicAction(OnPanic p) {
  switch (p) {
    case OnPanic::kReboot:
      return PanicAction::kReboot;
    case OnPanic::kPoweroff:
      return PanicAction::kPowerOff;
    case OnPanic::kDebugExit:
      return PanicAction::kDebugExit;
    case OnPanic::kHalt:
      break;
  }
  return PanicAction::kHalt;
}

// --- Boot self-checks run on every CPU -------------------------------------

std::atomic<uint64_t> g_worst_timer_late_ns{0};
std::atomic<uint32_t> g_timers_ok{0};

void TimerCheck(void*) {
  PerCpu& cpu = ThisCpu();
  const uint64_t before = cpu.timer_interrupts.load();
  const uint64_t deadline = Rdtsc() + time::NsToTsc(1000000);  // 1 ms
  lapic::ArmTimer(deadline);
  const uint64_t give_up = deadline + time::NsToTsc(1000000000);
  while (cpu.timer_interrupts.load() == before && Rdtsc() < give_up) SafeHalt();
  const uint64_t now = Rdtsc();
  if (cpu.timer_interrupts.load() == before) {
    HV_ERROR("CPU%u: one-shot timer did not fire", cpu.index);
    return;
  }
  const uint64_t late = now > deadline ? time::TscToNs(now - deadline) : 0;
  uint64_t worst = g_worst_timer_late_ns.load();
  while (late > worst && !g_worst_timer_late_ns.compare_exchange_weak(worst, late)) {
  }
  g_timers_ok.fetch_add(1);
}

void Nothing(void*) {}

std::atomic<uint64_t> g_scrubbed{0};
void Scrub(void*) { g_scrubbed.fetch_add(heap::ScrubWork()); }

void SelfChecks(uint32_t online) {
  smp::CallAll(TimerCheck, nullptr);
  HV_INFO("timers: one-shot fired on %u of %u CPUs, latest %lu us after its deadline",
          g_timers_ok.load(), online, g_worst_timer_late_ns.load() / 1000);
  // IPIs: a cross-CPU call to all, timed.
  constexpr int kRounds = 50;
  const uint64_t t0 = Rdtsc();
  for (int i = 0; i < kRounds; ++i) smp::CallAll(Nothing, nullptr);
  const uint64_t per_call = time::TscToNs((Rdtsc() - t0) / kRounds);
  uint64_t ipis = 0;
  for (uint32_t i = 0; i < CpuCount(); ++i) ipis += CpuByIndex(i)->ipis_received.load();
  HV_INFO("IPIs: %lu received; a call on all CPUs takes %lu us", ipis, per_call / 1000);
}

// Scrubbing all free memory on all CPUs, and (bench) memset on one for comparison.
void ScrubFreeMemory() {
  const uint64_t t0 = Rdtsc();
  heap::ScrubPrepare();
  smp::CallAll(Scrub, nullptr);
  const uint64_t ns = time::TscToNs(Rdtsc() - t0);
  const uint64_t bytes = g_scrubbed.load();
  // MiB/s = bytes / ns * 1e9 / 2^20, kept within 64 bits.
  const uint64_t mib_s = ns ? bytes / kMiB * 1000000 / (ns / 1000 ? ns / 1000 : 1) : 0;
  HV_INFO("scrub: %lu MiB zeroed on %u CPUs in %lu ms (%lu MiB/s)", bytes / kMiB, CpuCount(),
          ns / 1000000, mib_s);
}

void BenchMemset() {
  // 64 MiB in 4 MiB blocks on this CPU alone: the memory bandwidth one CPU gets.
  constexpr unsigned kOrder = 10;
  PhysAddr blocks[16];
  unsigned n = 0;
  for (; n < 16; ++n) {
    blocks[n] = heap::AllocPages(kOrder);
    if (!blocks[n].value()) break;
  }
  const uint64_t t0 = Rdtsc();
  for (unsigned i = 0; i < n; ++i) memset(arch::PhysToVirt(blocks[i]), 0, kPageSize << kOrder);
  const uint64_t ns = time::TscToNs(Rdtsc() - t0);
  for (unsigned i = 0; i < n; ++i) heap::FreePages(blocks[i], kOrder);
  const uint64_t bytes = uint64_t{n} * (kPageSize << kOrder);
  HV_INFO("bench: memset %lu MiB on CPU0 in %lu ms (%lu MiB/s)", bytes / kMiB, ns / 1000000,
          ns ? bytes / kMiB * 1000000 / (ns / 1000 ? ns / 1000 : 1) : 0);
}

// --- Console keys while idle ----------------------------------------------

// Console input goes to hv (its keys) or to one domain, Xen's way: Ctrl-A
// three times moves it to the next domain with a console (a UART, or
// HV_VIRQ_CONSOLE bound on vCPU 0 for HV_CONSOLE_INPUT), then back to hv.
uint32_t g_console_focus = 0;  // 0: hv; else a domain id
uint32_t g_ctrl_a = 0;

void SwitchConsoleFocus() {
  for (uint32_t id = g_console_focus + 1; id < kMaxDomains; ++id) {
    const domains::DomainRef d = domains::Get(id);
    if (d && d->state == DomainState::kRunning &&
        (HasPlatform(*d) || events::VirqBound(*d, 0, HV_VIRQ_CONSOLE))) {
      g_console_focus = id;
      HV_INFO("console input to d%u (%s) (type Ctrl-A three times to switch)", id, d->name);
      return;
    }
  }
  g_console_focus = 0;
  HV_INFO("console input to hv (type Ctrl-A three times to switch)");
}

void HvKey(int c);

void ConsoleInput(int c) {
  if (!g_console_focus) {
    HvKey(c);
    return;
  }
  const domains::DomainRef d = domains::Get(g_console_focus);
  if (!d || d->state != DomainState::kRunning) {
    HV_INFO("console input to hv: d%u is gone", g_console_focus);
    g_console_focus = 0;
    return;
  }
  // A full receive FIFO drops the byte, as a real UART overruns.
  if (HasPlatform(*d)) {
    (void)PlatformConsoleInput(*d, static_cast<char>(c));
  } else {
    (void)domains::ConsoleInput(*d, static_cast<char>(c));
  }
}

void PollConsole() {
  if (g_console_focus) {
    const domains::DomainRef d = domains::Get(g_console_focus);
    if (d && HasPlatform(*d)) PlatformConsoleDrain(*d);
  }
  for (int c; (c = ConsoleGetChar()) >= 0;) {
    if (c == 0x01) {
      if (++g_ctrl_a == 3) {
        g_ctrl_a = 0;
        SwitchConsoleFocus();
      }
      continue;
    }
    for (; g_ctrl_a; --g_ctrl_a) ConsoleInput(0x01);  // fewer than three: they were meant
    ConsoleInput(c);
  }
}

void HvKey(int c) {
  switch (c) {
    case 'h':
      HV_INFO("keys: h help, m memory, c CPUs, d domains, v vCPUs, e exits, R reboot, O power off");
      return;
    case 'm':
      HV_INFO("memory: %lu KiB free", heap::FreePageCount() * 4);
      return;
    case 'c':
      for (uint32_t i = 0; i < CpuCount(); ++i) {
        const PerCpu* cpu = CpuByIndex(i);
        HV_INFO("CPU%u: APIC id %u, %s, %lu timer interrupts", i, cpu->apic_id,
                cpu->online.load() ? "online" : "offline", cpu->timer_interrupts.load());
      }
      return;
    case 'd':
      for (uint32_t id = 0; id < kMaxDomains; ++id) {
        const domains::DomainRef d = domains::Get(id);
        if (!d) continue;
        char ev[96];
        events::Describe(*d, ev, sizeof(ev));
        HV_INFO("d%u %s: %s, %lu MiB, %u vCPUs; %s", d->id, d->name, DomainStateName(d->state),
                d->memory_bytes >> 20, d->vcpu_count, ev);
      }
      return;
    case 'v':
      for (uint32_t id = 0; id < kMaxDomains; ++id) {
        const domains::DomainRef d = domains::Get(id);
        for (uint32_t i = 0; d && i < d->vcpu_count; ++i) {
          const Vcpu* v = d->vcpus[i];
          const Vmcb& vmcb = *v->arch->vmcb;
          HV_INFO("d%u v%u: %s on CPU%u, upcall %s (vector %u)%s, wake %s, IF %s, RIP %lx, "
                  "%lu exits, %lu us run",
                  d->id, v->id, VcpuStateName(v->state), v->cpu,
                  v->upcall_pending.load() ? "pending" : "-", v->upcall_vector,
                  (vmcb.control.int_ctl & kIntCtlVIrq) ? ", V_IRQ set" : "",
                  v->wake_pending.load() ? "pending" : "-",
                  (vmcb.state.rflags & kRflagsIf) ? "on" : "off", vmcb.state.rip, v->exits,
                  v->runtime_ns / 1000);
        }
      }
      return;
    case 'e':
      for (uint32_t i = 0; i < CpuCount(); ++i) {
        const PerCpu* cpu = CpuByIndex(i);
        HV_INFO("CPU%u exits: intr %lu, cpuid %lu, hlt %lu, ioio %lu, msr %lu, vmmcall %lu, "
                "npf %lu, other %lu",
                i, cpu->exit_counts[1], cpu->exit_counts[3], cpu->exit_counts[4],
                cpu->exit_counts[5], cpu->exit_counts[6], cpu->exit_counts[7],
                cpu->exit_counts[8], cpu->exit_counts[0]);
      }
      return;
    case 'R':
      power::Reboot();
    case 'O':
      power::PowerOff();
    default:
      return;
  }
}

// The boot CPU looks at the console every 50 ms: the timer raises CPU0's
// background work, which runs outside interrupt context, between guest
// entries or in the idle loop.
Timer g_console_poll;
void ConsolePollTick(Timer* t) {
  smp::RaiseCpu0Work();
  timer::Set(t, arch::NowNs() + 50000000);
}

// Boot-time domains (domains=N): declared by a config module, built from
// their kernel modules, started; a bad one is reported and skipped.
BootDomains g_boot_domains;
uint32_t g_started_domains = 0;

// Builds one boot-time domain from its config line and starts it.
bool BuildBootDomain(const DomainConfig& c) {
  const int m = g_options.domains_module;
  if (c.kernel_module >= g_boot.module_count || c.kernel_module == m) {
    HV_ERROR("domain '%s': kernel=%u is not a kernel module", c.name, c.kernel_module);
    return false;
  }
  DomainParams p;
  p.name = c.name;
  p.memory_bytes = c.memory;
  p.vcpus = c.vcpus;
  p.weight = c.weight;
  p.cap = c.cap;
  p.affinity = c.cpu_mask;
  p.on_poweroff = c.on_poweroff;
  p.on_reboot = c.on_reboot;
  p.on_crash = c.on_crash;
  p.privileged = c.privileged;
  Domain* d = nullptr;
  const domains::Status st = domains::Create(p, &d);
  if (st != domains::Status::kOk) {
    HV_ERROR("domain '%s': cannot create: %s", c.name, domains::StatusName(st));
    return false;
  }
  const PhysRange k = g_boot.modules[c.kernel_module].range;
  const auto* image = static_cast<const uint8_t*>(arch::PhysToVirt(k.start));
  BootStatus bs = BootStatus::kBadImage;
  if (LooksLikeElf(image, k.size())) {
    bs = BootElf(*d, image, k.size(), c.cmdline);
  } else if (LooksLikeBzImage(image, k.size())) {
    const uint8_t* initrd = nullptr;
    size_t initrd_size = 0;
    if (c.has_ramdisk && c.ramdisk_module < g_boot.module_count) {
      const PhysRange r = g_boot.modules[c.ramdisk_module].range;
      initrd = static_cast<const uint8_t*>(arch::PhysToVirt(r.start));
      initrd_size = r.size();
    }
    bs = BootLinux(*d, image, k.size(), initrd, initrd_size, c.cmdline);
  } else {
    HV_ERROR("d%u (%s): module %u is neither an ELF64 kernel nor a bzImage", d->id, c.name,
             c.kernel_module);
  }
  if (bs != BootStatus::kOk) {
    HV_ERROR("d%u (%s): cannot boot its kernel: %s", d->id, c.name, BootStatusName(bs));
    d->state = DomainState::kDead;
    (void)domains::Destroy(d);
    return false;
  }
  return domains::Start(d) == domains::Status::kOk;
}

// A boot-time domain restarts from the same config line (on_reboot=restart).
bool RestartBootDomain(const char* name) {
  for (size_t i = 0; i < g_boot_domains.count; ++i) {
    const DomainConfig& c = g_boot_domains.domains[i];
    size_t k = 0;
    while (c.name[k] && c.name[k] == name[k]) ++k;
    if (c.name[k] == name[k]) {
      HV_INFO("%s: restarting", name);
      return BuildBootDomain(c);
    }
  }
  return false;
}

void StartBootDomains() {
  const int m = g_options.domains_module;
  if (m < 0) return;
  if (static_cast<size_t>(m) >= g_boot.module_count) {
    HV_ERROR("domains=%d: there is no module %d", m, m);
    return;
  }
  const PhysRange text = g_boot.modules[m].range;
  ParseDomainConfig(static_cast<const char*>(arch::PhysToVirt(text.start)), text.size(),
                    &g_boot_domains);
  for (size_t i = 0; i < g_boot_domains.count; ++i) {
    if (BuildBootDomain(g_boot_domains.domains[i])) ++g_started_domains;
  }
  domains::SetRestartHandler(RestartBootDomain);
}

// The #VMEXITs of all CPUs so far, by reason, on one line.
void LogExitCounts(const char* when) {
  uint64_t sum[kExitBuckets] = {};
  for (uint32_t i = 0; i < CpuCount(); ++i) {
    for (uint32_t b = 0; b < kExitBuckets; ++b) sum[b] += CpuByIndex(i)->exit_counts[b];
  }
  char line[384];
  size_t n = Format(line, sizeof(line), "exits %s:", when);
  for (uint32_t b = 0; b < kExitBuckets; ++b) {
    if (sum[b]) n += Format(line + n, sizeof(line) - n, " %s %lu", ExitBucketName(b), sum[b]);
  }
  HV_INFO("%s", line);
}

void AfterBootAction() {
  if (g_started_domains) {
    HV_INFO("all boot-time domains ended; %lu KiB free", heap::FreePageCount() * 4);
    LogExitCounts("since boot");
  }
  switch (g_options.after_boot) {
    case AfterBoot::kPoweroff: power::PowerOff();
    case AfterBoot::kReboot: power::Reboot();
    case AfterBoot::kDebugExit: power::DebugExit(0); break;
    case AfterBoot::kIdle: break;
  }
}

}  // namespace

void BootMain(uint32_t magic, uint32_t mbi) {
  time::MarkBoot();
  // Early console on COM1 with defaults, so that even a bad multiboot is reported.
  InitConsoleDevices(true, false);
  console::Write("\r\n");
  (void)symbols::Load(hv_symbol_table, hv_symbol_table_size);

  const LinearPhysReader boot_map(HV_DIRECT_MAP_BASE, HV_BOOT_MAPPED_LIMIT);
  const MultibootStatus mb = ParseMultiboot(magic, PhysAddr(mbi), boot_map, &g_boot);
  if (mb != MultibootStatus::kOk) Panic("cannot boot: %s", MultibootStatusName(mb));

  PrintBanner();
  g_options = ParseCommandLine(g_boot.cmdline);  // warns about what it does not know
  console::SetLevel(g_options.log_level);
  if (g_options.consoles != kConsoleCom1) {
    InitConsoleDevices(g_options.consoles & kConsoleCom1, g_options.consoles & kConsoleCom2);
  }
  SetPanicAction(ToPanicAction(g_options.on_panic));
  PrintMemoryMap();

  const CpuFeatures features = DetectFeatures();
  HV_INFO("CPU: %s (%s)%s%s", features.brand, features.vendor, features.svm ? ", SVM" : "",
          features.x2apic ? ", x2APIC" : "");

  // Memory: the allocator, then hv's own page tables.
  uint64_t max_phys = 0;
  for (size_t i = 0; i < g_boot.mem_count; ++i) {
    if (g_boot.mem[i].type == MemType::kUsable) max_phys = g_boot.mem[i].range.end.value();
  }
  const uint64_t mapped = address_space::ExtendBootMap(max_phys, features.page1g);
  uint64_t metadata_bytes = 0;
  if (!InitHeap(mapped, &metadata_bytes)) Panic("cannot set up the page allocator");
  if (!address_space::Build(g_boot, features.page1g)) Panic("cannot build hv's page tables");

  // This CPU's descriptors and per-CPU area; exceptions are reported from here on.
  if (!smp::InitBootCpu(reinterpret_cast<uint64_t>(boot_stack),
                        reinterpret_cast<uint64_t>(boot_stack_top))) {
    Panic("out of memory for the boot CPU");
  }
  EnablePerCpuIndex();

  // Firmware tables, the clock, the interrupt controller.
  static const DirectMapReader reader;
  if (ParseAcpi(reader, PhysAddr(0), &g_acpi) != AcpiStatus::kOk) {
    HV_WARN("no usable ACPI tables: one CPU, no power-off");
  }
  volatile uint64_t* hpet = nullptr;
  if (g_acpi.hpet.present && g_options.hpet) {
    hpet = static_cast<volatile uint64_t*>(address_space::IoRemap(g_acpi.hpet.address, 0x400));
  }
  if (!time::Calibrate(hpet)) Panic("cannot calibrate the TSC: no HPET and no PIT");
  HV_INFO("clock: TSC %lu.%03lu MHz, calibrated against the %s%s", time::TscHz() / 1000000,
          time::TscHz() / 1000 % 1000, time::Source(), features.invariant_tsc ? ", invariant" : "");

  // Legacy PICs off: every interrupt comes through the local APIC.
  Outb(0x21, 0xff);
  Outb(0xa1, 0xff);
  const bool x2 = features.x2apic && g_options.x2apic;
  volatile uint32_t* apic_mmio = nullptr;
  if (!x2) {
    const PhysAddr base(Rdmsr(kMsrApicBase) & 0xffffff000);
    apic_mmio = static_cast<volatile uint32_t*>(address_space::IoRemap(base, kPageSize));
  }
  lapic::Init(x2, apic_mmio);
  lapic::EnableThisCpu();
  ThisCpu().apic_id = lapic::Id();
  HV_INFO("CPU0 up (APIC id %u)%s%s", ThisCpu().apic_id, features.smep ? ", SMEP" : "",
          features.smap ? ", SMAP" : "");
  lapic::CalibrateTimer();
  HV_INFO("local APIC: %s mode, timer %s at %lu kHz", x2 ? "x2APIC" : "xAPIC",
          lapic::tsc_deadline() ? "TSC-deadline" : "one-shot", lapic::TimerHz() / 1000);
  ConfigurePower();

  // Virtualization: SVM with nested paging, on every CPU.
  const svm::Features& sf = svm::Probe();
  if (sf.present && svm::EnableThisCpu()) {
    HV_INFO("SVM: revision %u, %u ASIDs, nested paging%s%s%s", sf.revision, sf.asids,
            sf.nrips ? ", NRIPS" : "", sf.decode_assists ? ", decode assists" : "",
            sf.vmcb_clean ? ", VMCB clean bits" : "");
  } else {
    HV_WARN("no virtualization: %s; hv runs no guests", sf.absent_why);
  }

  // Every other CPU.
  uint32_t ids[kCpuSlots];
  uint32_t n_ids = 0;
  for (size_t i = 0; i < g_acpi.madt.cpu_count && n_ids < kCpuSlots; ++i) {
    if (g_acpi.madt.cpus[i].enabled) ids[n_ids++] = g_acpi.madt.cpus[i].apic_id;
  }
  if (g_options.max_cpus && n_ids > g_options.max_cpus) {
    // Keep the boot CPU among those counted.
    uint32_t kept = 0;
    const uint32_t self = ThisCpu().apic_id;
    for (uint32_t i = 0; i < n_ids; ++i) {
      if (ids[i] == self || kept + 1 < g_options.max_cpus) ids[kept++] = ids[i];
    }
    n_ids = kept;
  }
  SetTimerHandler(timer::OnInterrupt);
  uint32_t online = 1;
  if (n_ids > 1) {
    const PhysAddr tramp = TrampolinePage();
    if (!tramp.value()) {
      HV_ERROR("no free page below 1 MiB for the AP trampoline; staying on one CPU");
    } else {
      online += smp::StartAps(ids, n_ids, tramp);
    }
  }
  const uint32_t expected = n_ids ? n_ids : 1;
  HV_INFO("all CPUs up: %u of %u", online, expected);

  SelfChecks(online);
  if (g_options.scrub) ScrubFreeMemory();
  if (g_options.bench) BenchMemset();

  const uint64_t usable = UsableBytes();
  const uint64_t free_bytes = heap::FreePageCount() * kPageSize;
  const uint64_t used = usable - free_bytes;
  HV_INFO(
      "hv uses %lu KiB: image %lu KiB, page metadata %lu KiB, allocations %lu KiB, "
      "modules and low memory the rest",
      used / 1024, address_space::ImageRange().size() / 1024, metadata_bytes / 1024,
      heap::AllocatedPageCount() * 4);
  HV_INFO("Boot complete: %u of %u CPUs up, %lu MiB free of %lu MiB usable RAM, %lu ms", online,
          expected, free_bytes / kMiB, usable / kMiB, arch::NowNs() / 1000000);

  if (g_options.selftest != SelfTest::kNone) TriggerFault(g_options.selftest);
  sched::Init(g_options.scheduler == Scheduler::kRoundRobin ? &sched::kRoundRobin : &sched::kCredit2,
              online);
  if (svm::features().present && g_options.domains_module >= 0) {
    HV_INFO("before boot-time domains: %lu KiB free", heap::FreePageCount() * 4);
    StartBootDomains();
  }
  if (g_started_domains) {
    // The after_boot= action waits for the boot-time domains to end.
    domains::SetAllDoneHandler(AfterBootAction);
    HV_INFO("%u boot-time domain%s running", g_started_domains, g_started_domains == 1 ? "" : "s");
  } else {
    AfterBootAction();
  }
  HV_INFO("idle; keys on the console: h for help");
  g_console_poll.fn = ConsolePollTick;
  timer::Set(&g_console_poll, arch::NowNs() + 50000000);
  smp::SetCpu0Work(PollConsole);
  smp::SetIdlePoll(uint64_t{g_options.idle_poll_us} * 1000);
  smp::Idle(nullptr);
}

}  // namespace hv::x86
