// AVX2 kernels of per-row selection, with portable fallbacks; see the "Per-row selection"
// section of include/PruningKernels.h.
#include "PruningKernels.h"
#include "HalfPrecision.h"
#include "ProcessorFeatures.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define BONSAI_AVX2 __attribute__((target("avx2")))
#define BONSAI_F16C __attribute__((target("avx2,f16c")))
#endif

// ---- widening half precision ----------------------------------------------------------

static void widen_f16_portable(const uint16_t *halves, size_t count, float *floats) {
  for (size_t i = 0; i < count; i++) floats[i] = bonsai_widen_half(halves[i]);
}

#if defined(__x86_64__)
BONSAI_F16C static void widen_f16_f16c(const uint16_t *halves, size_t count, float *floats) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(floats + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(halves + i))));
  widen_f16_portable(halves + i, count - i, floats + i);
}
#endif

void bonsai_widen_f16(const uint16_t *halves, size_t count, float *floats) {
#if defined(__x86_64__)
  if (bonsai_processor_has_avx2_f16c) {
    widen_f16_f16c(halves, count, floats);
    return;
  }
#endif
  widen_f16_portable(halves, count, floats);
}

// ---- row keys -------------------------------------------------------------------------

// The key of a score that is +0, −0 or positive: its magnitude bits under the key's marker
// bit, so that −0 and +0 share a key and keys order as the scores do.
static inline uint32_t magnitude_key(float score) {
  uint32_t bits;
  memcpy(&bits, &score, sizeof bits);
  return (bits & 0x7FFFFFFFu) | 0x80000000u;
}

static void row_keys_portable(const float *weights, size_t count, int squared,
                              const float *norms, uint32_t *keys) {
  for (size_t j = 0; j < count; j++) {
    float weight = weights[j];
    float magnitude = weight < 0 ? -weight : weight;
    float score = norms ? magnitude * norms[j] : squared ? weight * weight : weight;
    keys[j] = magnitude_key(score);
  }
}

#if defined(__x86_64__)
BONSAI_AVX2 static void row_keys_avx2(const float *weights, size_t count, int squared,
                                      const float *norms, uint32_t *keys) {
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 marker = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
  size_t j = 0;
  for (; j + 8 <= count; j += 8) {
    __m256 weight = _mm256_loadu_ps(weights + j);
    __m256 score = norms     ? _mm256_mul_ps(_mm256_and_ps(weight, magnitude),
                                             _mm256_loadu_ps(norms + j))
                   : squared ? _mm256_mul_ps(weight, weight)
                             : weight;
    __m256 key = _mm256_or_ps(_mm256_and_ps(score, magnitude), marker);
    _mm256_storeu_si256((__m256i *)(keys + j), _mm256_castps_si256(key));
  }
  row_keys_portable(weights + j, count - j, squared, norms ? norms + j : NULL, keys + j);
}
#endif

void bonsai_row_keys_f32(const float *weights, size_t count, int squared, const float *norms,
                         uint32_t *keys) {
#if defined(__x86_64__)
  if (bonsai_processor_has_avx2) {
    row_keys_avx2(weights, count, squared, norms, keys);
    return;
  }
#endif
  row_keys_portable(weights, count, squared, norms, keys);
}

// ---- count below ----------------------------------------------------------------------

static size_t count_below_portable(const uint32_t *keys, size_t count, uint32_t threshold) {
  size_t below = 0;
  for (size_t i = 0; i < count; i++) below += keys[i] < threshold;
  return below;
}

#if defined(__x86_64__)
BONSAI_AVX2 static size_t count_below_avx2(const uint32_t *keys, size_t count,
                                           uint32_t threshold) {
  // Unsigned a < t as signed after flipping both sign bits.
  const __m256i sign = _mm256_set1_epi32((int)0x80000000u);
  const __m256i flipped = _mm256_set1_epi32((int)(threshold ^ 0x80000000u));
  __m256i below = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256i key = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(keys + i)), sign);
    below = _mm256_sub_epi32(below, _mm256_cmpgt_epi32(flipped, key));
  }
  uint32_t lanes[8];
  _mm256_storeu_si256((__m256i *)lanes, below);
  size_t total = 0;
  for (int lane = 0; lane < 8; lane++) total += lanes[lane];
  return total + count_below_portable(keys + i, count - i, threshold);
}
#endif

size_t bonsai_count_below(const uint32_t *keys, size_t count, uint32_t threshold) {
#if defined(__x86_64__)
  if (bonsai_processor_has_avx2) return count_below_avx2(keys, count, threshold);
#endif
  return count_below_portable(keys, count, threshold);
}

// ---- sorting a sample -----------------------------------------------------------------

// A key's place is the number of keys below it plus the number equal to it at lower
// indices: a permutation, found without a branch.
static void sort_sample_portable(const uint32_t *keys, size_t count, uint32_t *sorted) {
  for (size_t i = 0; i < count; i++) {
    size_t place = 0;
    for (size_t j = 0; j < count; j++)
      place += (keys[j] < keys[i]) | ((keys[j] == keys[i]) & (j < i));
    sorted[place] = keys[i];
  }
}

#if defined(__x86_64__)
// The places of eight keys at a time, each compared with every key of the sample.
BONSAI_AVX2 static void sort_sample_avx2(const uint32_t *keys, size_t count, uint32_t *sorted) {
  const __m256i sign = _mm256_set1_epi32((int)0x80000000u);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (size_t first = 0; first < count; first += 8) {
    __m256i own = _mm256_loadu_si256((const __m256i *)(keys + first));
    __m256i own_signed = _mm256_xor_si256(own, sign);
    __m256i own_index = _mm256_add_epi32(lanes, _mm256_set1_epi32((int)first));
    __m256i place = _mm256_setzero_si256();
    for (size_t j = 0; j < count; j++) {
      __m256i other = _mm256_set1_epi32((int)keys[j]);
      __m256i below = _mm256_cmpgt_epi32(own_signed, _mm256_xor_si256(other, sign));
      __m256i earlier = _mm256_and_si256(_mm256_cmpeq_epi32(other, own),
                                         _mm256_cmpgt_epi32(own_index, _mm256_set1_epi32((int)j)));
      place = _mm256_sub_epi32(place, _mm256_or_si256(below, earlier));
    }
    uint32_t places[8];
    _mm256_storeu_si256((__m256i *)places, place);
    for (int lane = 0; lane < 8; lane++) sorted[places[lane]] = keys[first + (size_t)lane];
  }
}
#endif

void bonsai_sort_sample(const uint32_t *keys, size_t count, uint32_t *sorted) {
#if defined(__x86_64__)
  if (bonsai_processor_has_avx2 && count % 8 == 0) {
    sort_sample_avx2(keys, count, sorted);
    return;
  }
#endif
  sort_sample_portable(keys, count, sorted);
}

// ---- portable entry points for the tests ----------------------------------------------

void bonsai_row_keys_f32_portable(const float *weights, size_t count, int squared,
                                  const float *norms, uint32_t *keys) {
  row_keys_portable(weights, count, squared, norms, keys);
}

size_t bonsai_count_below_portable(const uint32_t *keys, size_t count, uint32_t threshold) {
  return count_below_portable(keys, count, threshold);
}

void bonsai_sort_sample_portable(const uint32_t *keys, size_t count, uint32_t *sorted) {
  sort_sample_portable(keys, count, sorted);
}

void bonsai_widen_f16_portable(const uint16_t *halves, size_t count, float *floats) {
  widen_f16_portable(halves, count, floats);
}
