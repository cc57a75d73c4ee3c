// N:M semi-structured selection in one pass over the weights: each group of M consecutive
// weights (M = 2, 4 or 8, so that a group never straddles two 8-lane vectors) is scored,
// ranked and zeroed while it sits in registers, and its kept bits written to the mask.
//
// A weight's score is |w|, w² or |w|·norm, as a Float, never negative (−0 folded into +0)
// and never NaN (the caller has proved the weights finite and the norms finite and ≥ 0), so
// its bits order as the score does when read as a signed 32-bit integer. Weight i of a group
// ranks after weight j when key j < key i, or key j == key i and j < i; it is pruned when
// fewer than `pruned` weights of its group rank before it — so equal scores prune the lower
// index first. The AVX2 version counts the rank with the group's rotations: rotating by r
// pairs lane i with lane j = i + r (mod M), which comes before i exactly when the rotation
// wrapped, and then "key j ≤ key i" is "key j < key i + 1" (keys stay below 2³¹ − 1).
#include "PruningKernels.h"
#include "HalfPrecision.h"
#include "ProcessorFeatures.h"

#include <string.h>

/// The weight at `index` of a buffer in `format`, widened to Float exactly.
static float widened_portable(const void *values, size_t index, bonsai_element_format format) {
  if (format == BONSAI_ELEMENT_F32) return ((const float *)values)[index];
  uint16_t half = ((const uint16_t *)values)[index];
  if (format == BONSAI_ELEMENT_F16) return bonsai_widen_half(half);
  uint32_t bits = (uint32_t)half << 16;
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

/// The key of a weight under `score`, `norm` being its column's input norm for Wanda.
static int32_t key_portable(float weight, bonsai_nm_score score, float norm) {
  float magnitude = weight < 0 ? -weight : weight;
  float value = score == BONSAI_NM_SQUARE ? weight * weight
                : score == BONSAI_NM_ABS_TIMES_NORM ? magnitude * norm
                : magnitude;
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  return (int32_t)(bits & 0x7FFFFFFFu);
}

/// Writes +0 over the weight at `index`.
static void zero_portable(void *values, size_t index, bonsai_element_format format) {
  if (format == BONSAI_ELEMENT_F32) ((uint32_t *)values)[index] = 0;
  else ((uint16_t *)values)[index] = 0;
}

/// The pass one group at a time: keys, ranks by counting, bits and zeros.
static void select_nm_portable(void *values, size_t count, const bonsai_nm_pattern *pattern,
                               size_t column, int zeroing, uint64_t *kept) {
  const size_t group = pattern->group;
  int32_t keys[8];
  uint64_t word = 0;
  for (size_t start = 0; start < count; start += group) {
    for (size_t j = 0; j < group; j++) {
      float norm = pattern->norms ? pattern->norms[column] : 0;
      keys[j] = key_portable(widened_portable(values, start + j, pattern->format), pattern->score,
                             norm);
      if (++column == pattern->columns) column = 0;
    }
    for (size_t i = 0; i < group; i++) {
      size_t rank = 0;
      for (size_t j = 0; j < i; j++) rank += keys[j] <= keys[i];
      for (size_t j = i + 1; j < group; j++) rank += keys[j] < keys[i];
      size_t index = start + i;
      if (rank >= pattern->pruned) word |= (uint64_t)1 << (index & 63);
      else if (zeroing) zero_portable(values, index, pattern->format);
      if ((index & 63) == 63 || index + 1 == count) {
        kept[index >> 6] = word;
        word = 0;
      }
    }
  }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define BONSAI_NM_VECTOR __attribute__((target("avx2,f16c")))

/// The group's rotations: lane permutations and, per lane, 1 where the rotation wrapped
/// (the partner lane comes before it).
typedef struct {
  __m256i permutation[7];
  __m256i earlier[7];
  int count;
} rotations;

BONSAI_NM_VECTOR static inline __attribute__((always_inline)) rotations rotations_of(
    size_t group) {
  rotations result;
  result.count = (int)group - 1;
  for (int r = 1; r < (int)group; r++) {
    int32_t permutation[8], earlier[8];
    for (int lane = 0; lane < 8; lane++) {
      int position = lane % (int)group, shifted = position + r;
      permutation[lane] = lane - position + shifted % (int)group;
      earlier[lane] = shifted >= (int)group;
    }
    result.permutation[r - 1] = _mm256_loadu_si256((const __m256i *)permutation);
    result.earlier[r - 1] = _mm256_loadu_si256((const __m256i *)earlier);
  }
  return result;
}

/// Eight weights from `index` on, widened to Float.
BONSAI_NM_VECTOR static inline __m256 load_widened(const void *values, size_t index,
                                                   bonsai_element_format format) {
  if (format == BONSAI_ELEMENT_F32) return _mm256_loadu_ps((const float *)values + index);
  __m128i halves = _mm_loadu_si128((const __m128i *)((const uint16_t *)values + index));
  if (format == BONSAI_ELEMENT_F16) return _mm256_cvtph_ps(halves);
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(halves), 16));
}

/// Writes +0 over the weights of lanes that are all ones in `pruned`.
BONSAI_NM_VECTOR static inline void zero_lanes(void *values, size_t index,
                                               bonsai_element_format format, __m256i pruned) {
  if (format == BONSAI_ELEMENT_F32) {
    __m256i *target = (__m256i *)((uint32_t *)values + index);
    _mm256_storeu_si256(target, _mm256_andnot_si256(pruned, _mm256_loadu_si256(target)));
  } else {
    __m128i *target = (__m128i *)((uint16_t *)values + index);
    __m128i narrow = _mm_packs_epi32(_mm256_castsi256_si128(pruned),
                                     _mm256_extracti128_si256(pruned, 1));
    _mm_storeu_si128(target, _mm_andnot_si128(narrow, _mm_loadu_si128(target)));
  }
}

/// The lanes of eight weights (whole groups) that their groups prune, as all-ones lanes.
BONSAI_NM_VECTOR static inline __attribute__((always_inline)) __m256i pruned_lanes(
    __m256 weights, __m256 norms, bonsai_nm_score score, const rotations *group,
    __m256i pruned_count) {
  const __m256 magnitude_bits = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  __m256 magnitude = _mm256_and_ps(weights, magnitude_bits);
  __m256 value = score == BONSAI_NM_SQUARE ? _mm256_mul_ps(weights, weights)
                 : score == BONSAI_NM_ABS_TIMES_NORM
                     ? _mm256_and_ps(_mm256_mul_ps(magnitude, norms), magnitude_bits)
                     : magnitude;
  __m256i keys = _mm256_castps_si256(value);
  __m256i rank = _mm256_setzero_si256();
  for (int r = 0; r < group->count; r++) {
    __m256i partner = _mm256_permutevar8x32_epi32(keys, group->permutation[r]);
    __m256i before = _mm256_cmpgt_epi32(_mm256_add_epi32(keys, group->earlier[r]), partner);
    rank = _mm256_sub_epi32(rank, before);
  }
  return _mm256_cmpgt_epi32(pruned_count, rank);
}

/// The input norms of the eight columns from `column` on, wrapping at the row's end.
BONSAI_NM_VECTOR static inline __m256 column_norms(const float *norms, size_t columns,
                                                   size_t column) {
  if (column + 8 <= columns) return _mm256_loadu_ps(norms + column);
  float lanes[8];
  for (int lane = 0; lane < 8; lane++) {
    lanes[lane] = norms[column];
    if (++column == columns) column = 0;
  }
  return _mm256_loadu_ps(lanes);
}

/// The pass, specialised by the compiler for each group size, format and score it is called
/// with (see `select_nm_avx2`).
BONSAI_NM_VECTOR static inline __attribute__((always_inline)) void select_nm_body(
    void *values, size_t count, const bonsai_nm_pattern *pattern, size_t column, int zeroing,
    uint64_t *kept, const size_t group_size, const bonsai_element_format format,
    const bonsai_nm_score score) {
  const rotations group = rotations_of(group_size);
  const __m256i pruned_count = _mm256_set1_epi32((int)pattern->pruned);
  const int wanda = score == BONSAI_NM_ABS_TIMES_NORM;
  __m256 norms = _mm256_setzero_ps();
  uint64_t word = 0;
  size_t index = 0;
  for (; index + 8 <= count; index += 8) {
    if (wanda) {
      norms = column_norms(pattern->norms, pattern->columns, column);
      column += 8;
      while (column >= pattern->columns) column -= pattern->columns;
    }
    __m256i pruned = pruned_lanes(load_widened(values, index, format), norms, score, &group,
                                  pruned_count);
    if (zeroing) zero_lanes(values, index, format, pruned);
    word |= (uint64_t)(~(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(pruned)) & 0xFF)
            << (index & 63);
    if ((index & 63) == 56) {
      kept[index >> 6] = word;
      word = 0;
    }
  }
  if (index < count) {
    // The last whole groups, fewer than eight weights, through a zero-padded vector: the
    // padding makes whole groups of its own, whose bits are dropped.
    const size_t tail = count - index, size = format == BONSAI_ELEMENT_F32 ? 4 : 2;
    uint32_t padded[8] = {0};
    memcpy(padded, (const char *)values + index * size, tail * size);
    if (wanda) norms = column_norms(pattern->norms, pattern->columns, column);
    __m256i pruned = pruned_lanes(load_widened(padded, 0, format), norms, score, &group,
                                  pruned_count);
    zero_lanes(padded, 0, format, pruned);
    if (zeroing) memcpy((char *)values + index * size, padded, tail * size);
    unsigned bits = ~(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(pruned)) &
                    ((1u << tail) - 1);
    word |= (uint64_t)bits << (index & 63);
  }
  if (count & 63) kept[count >> 6] = word;
}

/// `select_nm_body` for the score of `pattern`, the group size and format being fixed.
BONSAI_NM_VECTOR static inline __attribute__((always_inline)) void select_nm_scored(
    void *values, size_t count, const bonsai_nm_pattern *pattern, size_t column, int zeroing,
    uint64_t *kept, const size_t group, const bonsai_element_format format) {
  switch (pattern->score) {
  case BONSAI_NM_ABS:
    select_nm_body(values, count, pattern, column, zeroing, kept, group, format, BONSAI_NM_ABS);
    break;
  case BONSAI_NM_SQUARE:
    select_nm_body(values, count, pattern, column, zeroing, kept, group, format,
                   BONSAI_NM_SQUARE);
    break;
  case BONSAI_NM_ABS_TIMES_NORM:
    select_nm_body(values, count, pattern, column, zeroing, kept, group, format,
                   BONSAI_NM_ABS_TIMES_NORM);
    break;
  }
}

/// `select_nm_scored` for the format of `pattern`, the group size being fixed.
BONSAI_NM_VECTOR static inline __attribute__((always_inline)) void select_nm_formatted(
    void *values, size_t count, const bonsai_nm_pattern *pattern, size_t column, int zeroing,
    uint64_t *kept, const size_t group) {
  switch (pattern->format) {
  case BONSAI_ELEMENT_F32:
    select_nm_scored(values, count, pattern, column, zeroing, kept, group, BONSAI_ELEMENT_F32);
    break;
  case BONSAI_ELEMENT_F16:
    select_nm_scored(values, count, pattern, column, zeroing, kept, group, BONSAI_ELEMENT_F16);
    break;
  case BONSAI_ELEMENT_BF16:
    select_nm_scored(values, count, pattern, column, zeroing, kept, group, BONSAI_ELEMENT_BF16);
    break;
  }
}

/// The vector pass, one copy per group size, format and score, so that none of them is
/// decided per vector and the rotations of a group are unrolled.
BONSAI_NM_VECTOR static void select_nm_avx2(void *values, size_t count,
                                            const bonsai_nm_pattern *pattern, size_t column,
                                            int zeroing, uint64_t *kept) {
  switch (pattern->group) {
  case 2: select_nm_formatted(values, count, pattern, column, zeroing, kept, 2); break;
  case 4: select_nm_formatted(values, count, pattern, column, zeroing, kept, 4); break;
  default: select_nm_formatted(values, count, pattern, column, zeroing, kept, 8); break;
  }
}
#endif

void bonsai_select_nm(void *values, size_t count, const bonsai_nm_pattern *pattern,
                      size_t first_column, int zeroing, uint64_t *kept) {
#if defined(__x86_64__)
  if (bonsai_processor_has_avx2_f16c) {
    select_nm_avx2(values, count, pattern, first_column, zeroing, kept);
    return;
  }
#endif
  select_nm_portable(values, count, pattern, first_column, zeroing, kept);
}

void bonsai_select_nm_portable(void *values, size_t count, const bonsai_nm_pattern *pattern,
                               size_t first_column, int zeroing, uint64_t *kept) {
  select_nm_portable(values, count, pattern, first_column, zeroing, kept);
}
