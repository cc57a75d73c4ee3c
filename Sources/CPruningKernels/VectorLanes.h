// Lane masks from bits, shared by the kernels that apply a one-bit-per-element mask with
// AVX2. Private to CPruningKernels.
#ifndef BONSAI_VECTOR_LANES_H
#define BONSAI_VECTOR_LANES_H

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>

/// Lane j (of eight 32-bit lanes) is all ones when bit j of the low 8 bits of `bits` is set.
__attribute__((target("avx2"))) static inline __m256i bonsai_lanes_of_8_bits(uint32_t bits) {
  const __m256i select = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  __m256i spread = _mm256_set1_epi32((int)bits);
  return _mm256_cmpeq_epi32(_mm256_and_si256(spread, select), select);
}
#endif

#endif
