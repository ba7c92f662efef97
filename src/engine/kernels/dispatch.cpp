// Run-time choice of the kernel set: the widest instruction set the CPU (and OS) supports.
#include <cstdlib>
#include <string>

#include "engine/kernels/kernels.h"

namespace parley::engine::kernels {
namespace {

KernelSet build(Isa isa) {
  KernelSet set;
  fill_scalar_kernels(set);
  (void)isa;  // SIMD kernel files register here as they land
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
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case Isa::avx512:
      return isa_supported(Isa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
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
