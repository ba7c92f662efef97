// Run-time choice of the kernel set: the widest instruction set the CPU (and OS) supports.
#include <cstdlib>
#include <string>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "engine/kernels/kernels.h"

namespace parley::engine::kernels {
namespace {

// CPU features from CPUID, each only when the OS also saves the registers it needs (XGETBV).
struct CpuFeatures {
  bool avx2 = false;  // with FMA and F16C
  bool avx512 = false;  // F, BW, VL and VNNI
  bool avx512_bf16 = false;
  bool avx512_vbmi = false;
};

CpuFeatures detect_features() {
  CpuFeatures f;
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, f16c = (ecx >> 29) & 1;
  if (!osxsave || !avx) return f;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool os_avx = (xcr0_lo & 0x6) == 0x6;
  const bool os_avx512 = os_avx && (xcr0_lo & 0xe0) == 0xe0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  const bool avx2 = (ebx >> 5) & 1, avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1, avx512vl = (ebx >> 31) & 1;
  const bool vnni = (ecx >> 11) & 1, vbmi = (ecx >> 1) & 1;
  f.avx2 = os_avx && avx2 && fma && f16c;
  f.avx512 = f.avx2 && os_avx512 && avx512f && avx512bw && avx512vl && vnni;
  f.avx512_vbmi = f.avx512 && vbmi;
  if (f.avx512 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) f.avx512_bf16 = (eax >> 5) & 1;
#endif
  return f;
}

const CpuFeatures& features() {
  static const CpuFeatures cached = detect_features();
  return cached;
}

KernelSet build(Isa isa) {
  KernelSet set;
  fill_scalar_kernels(set);
  if (isa == Isa::avx2 || isa == Isa::avx512) fill_avx2_kernels(set);
  if (isa == Isa::avx2) fill_avx2_kquant_kernels(set);
  if (isa == Isa::avx512) fill_avx512_kernels(set, features().avx512_bf16);
  if (isa == Isa::avx512 && features().avx512_vbmi) fill_avx512_kquant_kernels(set);
  return set;
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512-vnni";
  }
  return "unknown";
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return features().avx2;
    case Isa::avx512: return features().avx512;
  }
  return false;
}

Isa detect_isa() {
  if (isa_supported(Isa::avx512)) return Isa::avx512;
  if (isa_supported(Isa::avx2)) return Isa::avx2;
  return Isa::scalar;
}

const KernelSet& kernels_for(Isa isa) {
  static const KernelSet scalar = build(Isa::scalar);
  static const KernelSet avx2 = build(isa_supported(Isa::avx2) ? Isa::avx2 : Isa::scalar);
  static const KernelSet avx512 = build(isa_supported(Isa::avx512) ? Isa::avx512 : Isa::scalar);
  switch (isa) {
    case Isa::avx2: return avx2;
    case Isa::avx512: return avx512;
    case Isa::scalar: break;
  }
  return scalar;
}

const KernelSet& active_kernels() {
  static const KernelSet& chosen = [] () -> const KernelSet& {
    Isa isa = detect_isa();
    if (const char* forced = std::getenv("PARLEY_ENGINE_ISA")) {
      const std::string name(forced);
      for (Isa candidate : {Isa::scalar, Isa::avx2, Isa::avx512}) {
        if ((name == isa_name(candidate) || (candidate == Isa::avx512 && name == "avx512")) &&
            isa_supported(candidate)) {
          isa = candidate;
        }
      }
    }
    return kernels_for(isa);
  }();
  return chosen;
}

}  // namespace parley::engine::kernels
