// IEEE binary16 widened to binary32 without F16C, for the portable kernels. Private to
// CPruningKernels.
#ifndef BONSAI_HALF_PRECISION_H
#define BONSAI_HALF_PRECISION_H

#include <stdint.h>
#include <string.h>

/// The Float that the half-precision bits `half` stand for, exactly: the exponent rebiased
/// (15 → 127), subnormals scaled from their integer mantissa, infinities and NaNs kept.
static inline float bonsai_widen_half(uint16_t half) {
  uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1Fu, mantissa = half & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else {
    float magnitude = (float)mantissa * 0x1p-24f;
    memcpy(&bits, &magnitude, sizeof bits);
    bits |= sign;
  }
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

#endif
