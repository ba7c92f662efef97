// IEEE half precision and bfloat16 conversions in portable C++ (the SIMD kernels use hardware conversions).
#pragma once

#include <cstdint>
#include <cstring>

namespace parley::engine {

inline float bits_to_float(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline uint32_t float_to_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

inline float fp16_to_fp32(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1f) return bits_to_float(sign | 0x7f800000u | (mantissa << 13));  // inf / NaN
  if (exponent == 0) {
    if (mantissa == 0) return bits_to_float(sign);
    // Subnormal: value = mantissa * 2^-24, exact in float.
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  return bits_to_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// Round to nearest, ties to even; overflow gives infinity, NaN stays NaN.
inline uint16_t fp32_to_fp16(float value) {
  const uint32_t bits = float_to_bits(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs_bits > 0x7f800000u ? 0x200u : 0));
  if (abs_bits >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: infinity
  if (abs_bits < 0x38800000u) {
    // Result is subnormal or zero: scale by 2^24 and round the integer (ties to even via the FPU's default mode).
    const float magnitude = bits_to_float(abs_bits) * 16777216.0f;
    const auto rounded = static_cast<uint32_t>(__builtin_rintf(magnitude));
    return static_cast<uint16_t>(sign | rounded);
  }
  const uint32_t exponent_mantissa = abs_bits - 0x38000000u;  // rebias exponent from 127 to 15
  const uint32_t round_bit = 0x1000u;
  const uint32_t sticky = exponent_mantissa & 0x1fffu;  // the 13 bits shifted out
  uint32_t half = exponent_mantissa >> 13;
  if (sticky > round_bit || (sticky == round_bit && (half & 1u))) ++half;
  return static_cast<uint16_t>(sign | half);
}

inline float bf16_to_fp32(uint16_t value) { return bits_to_float(static_cast<uint32_t>(value) << 16); }

// Round to nearest, ties to even; NaN stays (quiet) NaN.
inline uint16_t fp32_to_bf16(float value) {
  const uint32_t bits = float_to_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace parley::engine
