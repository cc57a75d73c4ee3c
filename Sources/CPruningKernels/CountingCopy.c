// AVX2 kernels with portable fallbacks; see include/CountingCopy.h.
#include "CountingCopy.h"
#include "ProcessorFeatures.h"
#include "VectorLanes.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
// Every processor with AVX2 has POPCNT.
#define BONSAI_AVX2 __attribute__((target("avx2,popcnt")))
#endif

// ---- portable ---------------------------------------------------------------------------

// One element at a time, `width` bytes each; loads and stores through memcpy, so that any
// alignment is fine. `first` is the index of source[0] in the masks' bit numbering.
#define PORTABLE_COPY(NAME, TYPE, MAGNITUDE)                                                  \
  static void NAME(const void *source, void *destination, size_t count, const uint64_t *kept,        \
            uint64_t *written_nonzero, uint64_t counts[2]) {                                  \
    const unsigned char *from = source;                                                      \
    unsigned char *to = destination;                                                         \
    uint64_t before = 0, after = 0, bits = 0;                                                \
    for (size_t i = 0; i < count; i++) {                                                     \
      TYPE value;                                                                            \
      memcpy(&value, from + i * sizeof(TYPE), sizeof(TYPE));                                 \
      uint64_t nonzero = (value & (MAGNITUDE)) != 0;                                         \
      uint64_t keep = kept ? (kept[i >> 6] >> (i & 63)) & 1 : 1;                             \
      value &= (TYPE)(0u - (uint32_t)keep);                                                  \
      if (to) memcpy(to + i * sizeof(TYPE), &value, sizeof(TYPE));                           \
      before += nonzero;                                                                     \
      after += nonzero & keep;                                                               \
      bits |= (nonzero & keep) << (i & 63);                                                  \
      if ((i & 63) == 63 || i + 1 == count) {                                                \
        if (written_nonzero) written_nonzero[i >> 6] = bits;                                 \
        bits = 0;                                                                            \
      }                                                                                      \
    }                                                                                        \
    counts[0] += before;                                                                     \
    counts[1] += after;                                                                      \
  }

PORTABLE_COPY(copy_portable_32, uint32_t, 0x7FFFFFFFu)
PORTABLE_COPY(copy_portable_16, uint16_t, 0x7FFFu)

void bonsai_counting_copy_portable(size_t element_size, const void *source, void *destination,
                                   size_t count, const uint64_t *kept,
                                   uint64_t *written_nonzero, uint64_t counts[2]) {
  if (element_size == 4)
    copy_portable_32(source, destination, count, kept, written_nonzero, counts);
  else
    copy_portable_16(source, destination, count, kept, written_nonzero, counts);
}

#if defined(__x86_64__)
// ---- AVX2 -------------------------------------------------------------------------------

// Lane j of the result (16-bit lanes) is all ones when bit j of the low 16 bits of `bits` is set.
BONSAI_AVX2 static inline __m256i lanes_of_16_bits(uint32_t bits) {
  const __m256i select = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048,
                                           4096, 8192, 16384, (short)32768);
  __m256i spread = _mm256_set1_epi16((short)bits);
  return _mm256_cmpeq_epi16(_mm256_and_si256(spread, select), select);
}

// 64 elements per step: one word of each mask. The flags are constants at every call site,
// so the compiler drops the branches of the pointers that are NULL.
BONSAI_AVX2 static inline void copy_avx2_32(const unsigned char *from, unsigned char *to,
                                            size_t words, const uint64_t *kept,
                                            uint64_t *written_nonzero, uint64_t counts[2]) {
  const __m256i magnitude = _mm256_set1_epi32(0x7FFFFFFF);
  uint64_t before = 0, after = 0;
  for (size_t word = 0; word < words; word++) {
    uint64_t zero = 0;
    uint64_t keep = kept ? kept[word] : ~(uint64_t)0;
    for (int part = 0; part < 8; part++) {
      size_t offset = (word * 64 + (size_t)part * 8) * 4;
      __m256i value = _mm256_loadu_si256((const __m256i *)(from + offset));
      __m256i is_zero = _mm256_cmpeq_epi32(_mm256_and_si256(value, magnitude),
                                           _mm256_setzero_si256());
      zero |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(is_zero)) << (part * 8);
      if (to) {
        if (kept) value = _mm256_and_si256(value, bonsai_lanes_of_8_bits((uint32_t)(keep >> (part * 8))));
        _mm256_storeu_si256((__m256i *)(to + offset), value);
      }
    }
    uint64_t nonzero = ~zero, written = nonzero & keep;
    before += (uint64_t)__builtin_popcountll(nonzero);
    after += (uint64_t)__builtin_popcountll(written);
    if (written_nonzero) written_nonzero[word] = written;
  }
  counts[0] += before;
  counts[1] += after;
}

BONSAI_AVX2 static inline void copy_avx2_16(const unsigned char *from, unsigned char *to,
                                            size_t words, const uint64_t *kept,
                                            uint64_t *written_nonzero, uint64_t counts[2]) {
  const __m256i magnitude = _mm256_set1_epi16(0x7FFF);
  uint64_t before = 0, after = 0;
  for (size_t word = 0; word < words; word++) {
    uint64_t zero = 0;
    uint64_t keep = kept ? kept[word] : ~(uint64_t)0;
    for (int part = 0; part < 4; part += 2) {
      size_t offset = (word * 64 + (size_t)part * 16) * 2;
      __m256i first = _mm256_loadu_si256((const __m256i *)(from + offset));
      __m256i second = _mm256_loadu_si256((const __m256i *)(from + offset + 32));
      __m256i first_zero = _mm256_cmpeq_epi16(_mm256_and_si256(first, magnitude),
                                              _mm256_setzero_si256());
      __m256i second_zero = _mm256_cmpeq_epi16(_mm256_and_si256(second, magnitude),
                                               _mm256_setzero_si256());
      // Packing interleaves the 128-bit halves; the permutation puts the 32 bytes in order.
      __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi16(first_zero, second_zero),
                                                0xD8);
      zero |= (uint64_t)(uint32_t)_mm256_movemask_epi8(packed) << (part * 16);
      if (to) {
        if (kept) {
          first = _mm256_and_si256(first, lanes_of_16_bits((uint32_t)(keep >> (part * 16))));
          second = _mm256_and_si256(second,
                                    lanes_of_16_bits((uint32_t)(keep >> (part * 16 + 16))));
        }
        _mm256_storeu_si256((__m256i *)(to + offset), first);
        _mm256_storeu_si256((__m256i *)(to + offset + 32), second);
      }
    }
    uint64_t nonzero = ~zero, written = nonzero & keep;
    before += (uint64_t)__builtin_popcountll(nonzero);
    after += (uint64_t)__builtin_popcountll(written);
    if (written_nonzero) written_nonzero[word] = written;
  }
  counts[0] += before;
  counts[1] += after;
}

// The whole words of 64 elements through `VECTOR`, specialised for each combination of
// present pointers, then the last partial word through the portable loop.
#define DISPATCH(VECTOR, PORTABLE, WIDTH)                                                     \
  do {                                                                                       \
    size_t words = count / 64;                                                               \
    const unsigned char *from = source;                                                      \
    unsigned char *to = destination;                                                         \
    if (to && kept && written_nonzero)                                                       \
      VECTOR(from, to, words, kept, written_nonzero, counts);                                \
    else if (to && kept)                                                                     \
      VECTOR(from, to, words, kept, NULL, counts);                                           \
    else if (to && written_nonzero)                                                          \
      VECTOR(from, to, words, NULL, written_nonzero, counts);                                \
    else if (to)                                                                             \
      VECTOR(from, to, words, NULL, NULL, counts);                                           \
    else if (written_nonzero)                                                                \
      VECTOR(from, NULL, words, kept, written_nonzero, counts);                              \
    else                                                                                     \
      VECTOR(from, NULL, words, kept, NULL, counts);                                         \
    size_t done = words * 64;                                                                \
    PORTABLE(from + done * (WIDTH), to ? to + done * (WIDTH) : NULL, count - done,           \
             kept ? kept + words : NULL, written_nonzero ? written_nonzero + words : NULL,   \
             counts);                                                                        \
  } while (0)
#endif

void bonsai_counting_copy(size_t element_size, const void *source, void *destination,
                          size_t count, const uint64_t *kept, uint64_t *written_nonzero,
                          uint64_t counts[2]) {
#if defined(__x86_64__)
  if (bonsai_processor_has_avx2) {
    if (element_size == 4)
      DISPATCH(copy_avx2_32, copy_portable_32, 4);
    else
      DISPATCH(copy_avx2_16, copy_portable_16, 2);
    return;
  }
#endif
  bonsai_counting_copy_portable(element_size, source, destination, count, kept,
                                written_nonzero, counts);
}
