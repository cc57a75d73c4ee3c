// AVX2 kernels with portable fallbacks; see include/PruningKernels.h.
#include <math.h>
#include "PruningKernels.h"
#include "ProcessorFeatures.h"
#include "VectorLanes.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define BONSAI_AVX2 __attribute__((target("avx2")))

static void build_compress_table(void);

// Built once when the library is loaded, before any thread can call a kernel.
__attribute__((constructor)) static void prepare_tables(void) { build_compress_table(); }

static inline int has_avx2(void) { return bonsai_processor_has_avx2; }
#endif

// ---- tally ----------------------------------------------------------------------------

static size_t tally_portable(const uint32_t *keys, size_t count, uint32_t lo, uint32_t hi,
                             uint32_t flag, uint64_t counts[4], uint32_t *inside) {
  uint64_t below = 0, equal_lo = 0, equal_hi = 0, flagged = 0;
  size_t gathered = 0;
  const uint32_t start = lo + 1, width = hi - lo - 1;
  for (size_t i = 0; i < count; i++) {
    uint32_t key = keys[i];
    below += key < lo;
    equal_lo += key == lo;
    equal_hi += key == hi;
    flagged += key >= flag;
    inside[gathered] = key;
    gathered += (uint32_t)(key - start) < width;
  }
  counts[0] += below;
  counts[1] += equal_lo;
  counts[2] += equal_hi;
  counts[3] += flagged;
  return gathered;
}

#if defined(__x86_64__)
// Permutations that move the selected lanes of 8 to the front, one per 8-bit mask.
static int8_t compress_table[256][8];

static void build_compress_table(void) {
  for (int mask = 0; mask < 256; mask++) {
    int next = 0;
    for (int lane = 0; lane < 8; lane++)
      if (mask & (1 << lane)) compress_table[mask][next++] = (int8_t)lane;
    while (next < 8) compress_table[mask][next++] = 0;
  }
}

// Unsigned a < b on 8 lanes: flip the sign bits and compare signed.
BONSAI_AVX2 static inline __m256i less_u32(__m256i a, __m256i b) {
  const __m256i sign = _mm256_set1_epi32((int)0x80000000u);
  return _mm256_cmpgt_epi32(_mm256_xor_si256(b, sign), _mm256_xor_si256(a, sign));
}

BONSAI_AVX2 static size_t tally_avx2(const uint32_t *keys, size_t count, uint32_t lo,
                                     uint32_t hi, uint32_t flag, uint64_t counts[4],
                                     uint32_t *inside) {
  const __m256i vlo = _mm256_set1_epi32((int)lo), vhi = _mm256_set1_epi32((int)hi);
  const __m256i vflag = _mm256_set1_epi32((int)flag);
  const __m256i vstart = _mm256_set1_epi32((int)(lo + 1));
  const __m256i vwidth = _mm256_set1_epi32((int)(hi - lo - 1));
  // below_flag counts the keys under `flag`; the rest of the vectorised keys are flagged.
  __m256i below = _mm256_setzero_si256(), equal_lo = below, equal_hi = below, below_flag = below;
  size_t gathered = 0, i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256i k = _mm256_loadu_si256((const __m256i *)(keys + i));
    below = _mm256_sub_epi32(below, less_u32(k, vlo));
    equal_lo = _mm256_sub_epi32(equal_lo, _mm256_cmpeq_epi32(k, vlo));
    equal_hi = _mm256_sub_epi32(equal_hi, _mm256_cmpeq_epi32(k, vhi));
    below_flag = _mm256_sub_epi32(below_flag, less_u32(k, vflag));
    int mask = _mm256_movemask_ps(_mm256_castsi256_ps(less_u32(_mm256_sub_epi32(k, vstart), vwidth)));
    if (mask) {
      __m128i order = _mm_loadl_epi64((const __m128i *)compress_table[mask]);
      __m256i packed = _mm256_permutevar8x32_epi32(k, _mm256_cvtepi8_epi32(order));
      _mm256_storeu_si256((__m256i *)(inside + gathered), packed);
      gathered += (size_t)__builtin_popcount((unsigned)mask);
    }
  }
  uint32_t lanes[8];
  uint64_t totals[4] = {0, 0, 0, 0};
  __m256i sums[4] = {below, equal_lo, equal_hi, below_flag};
  for (int s = 0; s < 4; s++) {
    _mm256_storeu_si256((__m256i *)lanes, sums[s]);
    for (int lane = 0; lane < 8; lane++) totals[s] += lanes[lane];
  }
  counts[0] += totals[0];
  counts[1] += totals[1];
  counts[2] += totals[2];
  counts[3] += i - totals[3];
  return gathered + tally_portable(keys + i, count - i, lo, hi, flag, counts, inside + gathered);
}
#endif

size_t bonsai_tally_keys(const uint32_t *keys, size_t count, uint32_t lo, uint32_t hi,
                         uint32_t flag, uint64_t counts[4], uint32_t *inside) {
#if defined(__x86_64__)
  if (has_avx2()) {
    return tally_avx2(keys, count, lo, hi, flag, counts, inside);
  }
#endif
  return tally_portable(keys, count, lo, hi, flag, counts, inside);
}

// ---- compare --------------------------------------------------------------------------

static void compare_portable(const uint32_t *keys, size_t count, uint32_t threshold,
                             uint64_t *below, uint64_t *equal) {
  for (size_t word = 0; word < count / 64; word++) {
    uint64_t b = 0, e = 0;
    for (int j = 0; j < 64; j++) {
      uint32_t key = keys[word * 64 + j];
      b |= (uint64_t)(key < threshold) << j;
      e |= (uint64_t)(key == threshold) << j;
    }
    below[word] = b;
    if (equal) equal[word] = e;
  }
}

#if defined(__x86_64__)
BONSAI_AVX2 static void compare_avx2(const uint32_t *keys, size_t count, uint32_t threshold,
                                     uint64_t *below, uint64_t *equal) {
  const __m256i t = _mm256_set1_epi32((int)threshold);
  for (size_t word = 0; word < count / 64; word++) {
    uint64_t b = 0, e = 0;
    for (int part = 0; part < 8; part++) {
      __m256i k = _mm256_loadu_si256((const __m256i *)(keys + word * 64 + part * 8));
      b |= (uint64_t)(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(less_u32(k, t))) << (part * 8);
      if (equal)
        e |= (uint64_t)(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(k, t)))
             << (part * 8);
    }
    below[word] = b;
    if (equal) equal[word] = e;
  }
}
#endif

void bonsai_compare_keys(const uint32_t *keys, size_t count, uint32_t threshold,
                         uint64_t *below, uint64_t *equal) {
#if defined(__x86_64__)
  if (has_avx2()) {
    compare_avx2(keys, count, threshold, below, equal);
    return;
  }
#endif
  compare_portable(keys, count, threshold, below, equal);
}

// ---- zero -----------------------------------------------------------------------------

static void zero_portable_32(uint32_t *values, size_t count, const uint64_t *kept) {
  for (size_t i = 0; i < count; i++)
    values[i] &= 0u - (uint32_t)((kept[i >> 6] >> (i & 63)) & 1);
}

static void zero_portable_16(uint16_t *values, size_t count, const uint64_t *kept) {
  for (size_t i = 0; i < count; i++)
    values[i] &= (uint16_t)(0u - (uint32_t)((kept[i >> 6] >> (i & 63)) & 1));
}

#if defined(__x86_64__)
// Writes zeros over `start ..< end` (4-byte aligned, whole words of 64 elements: 256 bytes
// or more, so at least two whole 64-byte lines): the whole lines inside by non-temporal
// stores, which do not read the lines first, the partial lines at the ends by ordinary
// stores (a line must not take both kinds).
BONSAI_AVX2 static void stream_zeros(uint32_t *start, uint32_t *end) {
  const __m256i zero = _mm256_setzero_si256();
  uint32_t *line = (uint32_t *)(((uintptr_t)start + 63) & ~(uintptr_t)63);
  uint32_t *last = (uint32_t *)((uintptr_t)end & ~(uintptr_t)63);
  for (uint32_t *p = start; p < line; p++) *p = 0;
  for (; line < last; line += 16) {
    _mm256_stream_si256((__m256i *)line, zero);
    _mm256_stream_si256((__m256i *)(line + 8), zero);
  }
  for (uint32_t *p = last; p < end; p++) *p = 0;
}

BONSAI_AVX2 static void zero_avx2_32(uint32_t *values, size_t count, const uint64_t *kept,
                                     int bypassing_cache) {
  size_t words = count / 64, word = 0;
  for (; word < words; word++) {
    uint64_t bits = kept[word];
    if (bits == ~(uint64_t)0) continue;
    if (bypassing_cache && bits == 0) {
      // A run of words pruned whole (a row, a block) is written without reading it first.
      size_t run_end = word + 1;
      while (run_end < words && kept[run_end] == 0) run_end++;
      stream_zeros(values + word * 64, values + run_end * 64);
      word = run_end - 1;
      continue;
    }
    __m256i *target = (__m256i *)(values + word * 64);
    for (int part = 0; part < 8; part++) {
      __m256i keep = bonsai_lanes_of_8_bits((uint32_t)(bits >> (part * 8)) & 0xFF);
      _mm256_storeu_si256(target + part, _mm256_and_si256(_mm256_loadu_si256(target + part), keep));
    }
  }
  if (bypassing_cache) _mm_sfence();
  zero_portable_32(values + word * 64, count - word * 64, kept + word);
}
#endif

void bonsai_zero_pruned_32(uint32_t *values, size_t count, const uint64_t *kept,
                           int bypassing_cache) {
#if defined(__x86_64__)
  if (has_avx2()) {
    zero_avx2_32(values, count, kept, bypassing_cache);
    return;
  }
#endif
  zero_portable_32(values, count, kept);
}

void bonsai_zero_pruned_16(uint16_t *values, size_t count, const uint64_t *kept) {
  zero_portable_16(values, count, kept);
}

// ---- column sums ----------------------------------------------------------------------

// Each sum takes the rows in order, one addition per row: the AVX2 version holds four
// columns' sums in a register across eight rows, which adds in the same order, and a square
// of a widened float is exact in Double, so both versions give the same bits.
static inline double column_term_portable(float weight, int absolute) {
  double value = (double)weight;
  // fabs clears the sign bit as the AVX2 version's mask does, a NaN's included.
  return absolute ? fabs(value) : value * value;
}

static void column_sums_portable(const float *rows, size_t row_count, size_t columns,
                                 int absolute, double *sums) {
  for (size_t r = 0; r < row_count; r++)
    for (size_t j = 0; j < columns; j++)
      sums[j] += column_term_portable(rows[r * columns + j], absolute);
}

#if defined(__x86_64__)
BONSAI_AVX2 static inline __m256d column_term(const float *values, int absolute) {
  const __m256d sign = _mm256_set1_pd(-0.0);
  __m256d value = _mm256_cvtps_pd(_mm_loadu_ps(values));
  return absolute ? _mm256_andnot_pd(sign, value) : _mm256_mul_pd(value, value);
}

// Rows are taken eight at a time, so that each register of four column sums is loaded and
// stored once per eight rows (the sums of a long row live in L2, not in registers).
enum { COLUMN_SUM_ROWS = 8 };

BONSAI_AVX2 static void column_sums_avx2(const float *rows, size_t row_count, size_t columns,
                                         int absolute, double *sums) {
  size_t r = 0;
  const size_t vector_columns = columns & ~(size_t)3;
  for (; r + COLUMN_SUM_ROWS <= row_count; r += COLUMN_SUM_ROWS) {
    const float *row = rows + r * columns;
    for (size_t j = 0; j < vector_columns; j += 4) {
      __m256d sum = _mm256_loadu_pd(sums + j);
      for (size_t k = 0; k < COLUMN_SUM_ROWS; k++)
        sum = _mm256_add_pd(sum, column_term(row + k * columns + j, absolute));
      _mm256_storeu_pd(sums + j, sum);
    }
    for (size_t j = vector_columns; j < columns; j++)
      for (size_t k = 0; k < COLUMN_SUM_ROWS; k++)
        sums[j] += column_term_portable(row[k * columns + j], absolute);
  }
  for (; r < row_count; r++) {
    const float *row = rows + r * columns;
    for (size_t j = 0; j < vector_columns; j += 4) {
      __m256d sum = _mm256_add_pd(_mm256_loadu_pd(sums + j), column_term(row + j, absolute));
      _mm256_storeu_pd(sums + j, sum);
    }
    for (size_t j = vector_columns; j < columns; j++)
      sums[j] += column_term_portable(row[j], absolute);
  }
}
#endif

void bonsai_add_column_sums_f32(const float *rows, size_t row_count, size_t columns,
                                int absolute, double *sums) {
#if defined(__x86_64__)
  if (has_avx2()) {
    column_sums_avx2(rows, row_count, columns, absolute, sums);
    return;
  }
#endif
  column_sums_portable(rows, row_count, columns, absolute, sums);
}

// ---- row sums -------------------------------------------------------------------------

// Σ |x| over one row, in Double, in sixteen lanes: element i of the first count − count % 16
// goes to lane i % 16 (lanes 4k ..< 4k + 4 are one AVX2 register), the lanes are combined
// as four registers added in pairs, then their four lanes in pairs, and the last count % 16
// elements are added in order. Each lane adds in the same order in both versions, so they
// give the same bits; OpenBLAS's `sasum` sums in Float and, from memory, at half the speed.
enum { ROW_SUM_LANES = 16 };

static double absolute_sum_portable(const float *values, size_t count) {
  double lanes[ROW_SUM_LANES] = {0};
  const size_t body = count - count % ROW_SUM_LANES;
  for (size_t i = 0; i < body; i++) lanes[i % ROW_SUM_LANES] += column_term_portable(values[i], 1);
  double pairs[4];
  for (int k = 0; k < 4; k++) pairs[k] = (lanes[k] + lanes[4 + k]) + (lanes[8 + k] + lanes[12 + k]);
  double sum = (pairs[0] + pairs[1]) + (pairs[2] + pairs[3]);
  for (size_t i = body; i < count; i++) sum += column_term_portable(values[i], 1);
  return sum;
}

#if defined(__x86_64__)
BONSAI_AVX2 static double absolute_sum_avx2(const float *values, size_t count) {
  __m256d lanes[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                      _mm256_setzero_pd()};
  const size_t body = count - count % ROW_SUM_LANES;
  for (size_t i = 0; i < body; i += ROW_SUM_LANES)
    for (int k = 0; k < 4; k++)
      lanes[k] = _mm256_add_pd(lanes[k], column_term(values + i + 4 * k, 1));
  __m256d pairs = _mm256_add_pd(_mm256_add_pd(lanes[0], lanes[1]), _mm256_add_pd(lanes[2], lanes[3]));
  double pair[4];
  _mm256_storeu_pd(pair, pairs);
  double sum = (pair[0] + pair[1]) + (pair[2] + pair[3]);
  for (size_t i = body; i < count; i++) sum += column_term_portable(values[i], 1);
  return sum;
}
#endif

double bonsai_absolute_sum_f32(const float *values, size_t count) {
#if defined(__x86_64__)
  if (has_avx2()) return absolute_sum_avx2(values, count);
#endif
  return absolute_sum_portable(values, count);
}

// ---- portable entry points for the tests ----------------------------------------------

size_t bonsai_tally_keys_portable(const uint32_t *keys, size_t count, uint32_t lo, uint32_t hi,
                                  uint32_t flag, uint64_t counts[4], uint32_t *inside) {
  return tally_portable(keys, count, lo, hi, flag, counts, inside);
}

void bonsai_compare_keys_portable(const uint32_t *keys, size_t count, uint32_t threshold,
                                  uint64_t *below, uint64_t *equal) {
  compare_portable(keys, count, threshold, below, equal);
}

void bonsai_zero_pruned_32_portable(uint32_t *values, size_t count, const uint64_t *kept) {
  zero_portable_32(values, count, kept);
}

void bonsai_add_column_sums_f32_portable(const float *rows, size_t row_count, size_t columns,
                                         int absolute, double *sums) {
  column_sums_portable(rows, row_count, columns, absolute, sums);
}

double bonsai_absolute_sum_f32_portable(const float *values, size_t count) {
  return absolute_sum_portable(values, count);
}
