// The innermost loops of Bonsai's selection and pruning passes, over blocks of 32-bit keys
// (and the weights of a block being scored) that already sit in cache. They are C because
// Swift cannot target instructions beyond the baseline x86-64 of the build: each kernel has
// an AVX2 version, chosen at run time when the processor has AVX2 (ProcessorFeatures.c), and
// a portable one. Only Sources/Pruning/Selection calls them; the `bonsai` command's counting
// copy (CountingCopy.h) is the other public header of this module.
#ifndef BONSAI_PRUNING_KERNELS_H
#define BONSAI_PRUNING_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Counts the keys below `lo` (counts[0]), equal to `lo` (counts[1]), equal to `hi`
/// (counts[2]) and at or above `flag` (counts[3]), adding to `counts`, and appends the keys
/// strictly between `lo` and `hi` to `inside`, which must have room for `count + 8` keys
/// (whole vectors are stored). Returns how many it appended.
size_t bonsai_tally_keys(const uint32_t *keys, size_t count, uint32_t lo, uint32_t hi,
                         uint32_t flag, uint64_t counts[4], uint32_t *inside);

/// For `count` keys (a multiple of 64), writes one word per 64 keys: bit j of `below` is set
/// when key j is below `threshold`, bit j of `equal` when it equals it (`equal` may be NULL).
void bonsai_compare_keys(const uint32_t *keys, size_t count, uint32_t threshold,
                         uint64_t *below, uint64_t *equal);

/// Zeroes the 32-bit elements `values[0 ..< count]` whose bit in `kept` is clear. With
/// `bypassing_cache`, 64 elements pruned together (a clear word of `kept`) are written by
/// non-temporal stores, without reading their lines first: for tensors larger than the
/// caches, where rows or blocks are pruned whole.
void bonsai_zero_pruned_32(uint32_t *values, size_t count, const uint64_t *kept,
                           int bypassing_cache);

/// Zeroes the 16-bit elements `values[0 ..< count]` whose bit in `kept` is clear.
void bonsai_zero_pruned_16(uint16_t *values, size_t count, const uint64_t *kept);

/// Adds the column sums of a row-major `row_count × columns` block to `sums[0 ..< columns]`:
/// Σ |x| (when `absolute`) or Σ x², each term widened to Double (a square exact there) and
/// the rows added in order, so the sums do not depend on how the rows are split into blocks.
void bonsai_add_column_sums_f32(const float *rows, size_t row_count, size_t columns,
                                int absolute, double *sums);

/// Σ |x| over `values[0 ..< count]`, each term widened to Double, summed in a fixed order of
/// sixteen lanes (the same bits on every processor).
double bonsai_absolute_sum_f32(const float *values, size_t count);

/// The portable versions of the kernels above, whatever the processor: the tests compare
/// them with the dispatched ones, which on an AVX2 machine are the vector versions.
size_t bonsai_tally_keys_portable(const uint32_t *keys, size_t count, uint32_t lo, uint32_t hi,
                                  uint32_t flag, uint64_t counts[4], uint32_t *inside);
void bonsai_compare_keys_portable(const uint32_t *keys, size_t count, uint32_t threshold,
                                  uint64_t *below, uint64_t *equal);
void bonsai_zero_pruned_32_portable(uint32_t *values, size_t count, const uint64_t *kept);
void bonsai_add_column_sums_f32_portable(const float *rows, size_t row_count, size_t columns,
                                         int absolute, double *sums);
double bonsai_absolute_sum_f32_portable(const float *values, size_t count);

// The number of processors in the calling process's CPU affinity mask (`sched_getaffinity`),
// or -1 when it cannot be read.
int bonsai_affinity_count(void);

// ---- N:M semi-structured selection (SemiStructured.c) ---------------------------------

/// How the weights handed to `bonsai_select_nm` are stored.
typedef enum {
  BONSAI_ELEMENT_F32 = 0,
  BONSAI_ELEMENT_F16 = 1,
  BONSAI_ELEMENT_BF16 = 2,
} bonsai_element_format;

/// The score `bonsai_select_nm` ranks weights by, a Float: |w|, w² (rounded to Float) or
/// |w|·norm[column] (Wanda, rounded to Float).
typedef enum {
  BONSAI_NM_ABS = 0,
  BONSAI_NM_SQUARE = 1,
  BONSAI_NM_ABS_TIMES_NORM = 2,
} bonsai_nm_score;

/// An N:M pattern and what its scores need.
typedef struct {
  /// How the weights are stored.
  bonsai_element_format format;
  /// What they are ranked by.
  bonsai_nm_score score;
  /// M, the weights per group: 2, 4 or 8.
  size_t group;
  /// M − N, the weights each group prunes: at most `group`.
  size_t pruned;
  /// The input norm of each column (finite, ≥ 0) for BONSAI_NM_ABS_TIMES_NORM, else NULL.
  const float *norms;
  /// The columns of the matrix (≥ 1), a multiple of `group`.
  size_t columns;
} bonsai_nm_pattern;

/// Prunes every group of `pattern->group` consecutive weights of `values[0 ..< count]`
/// (`count` a multiple of the group; the first weight in column `first_column`): the
/// `pattern->pruned` lowest scores of each group go, the lower index first among equal
/// scores. Writes the kept bits, bit i of `kept[i / 64]`, to every word the weights cover
/// (bits past `count` clear), and, when `zeroing`, +0 over the pruned weights; without
/// `zeroing` it never writes `values`. The weights must be finite.
void bonsai_select_nm(void *values, size_t count, const bonsai_nm_pattern *pattern,
                      size_t first_column, int zeroing, uint64_t *kept);

/// The portable version of `bonsai_select_nm`, whatever the processor (for the tests).
void bonsai_select_nm_portable(void *values, size_t count, const bonsai_nm_pattern *pattern,
                               size_t first_column, int zeroing, uint64_t *kept);

// ---- Per-row selection --------------------------------------------------------------

/// Widens `count` IEEE half-precision values (given by their bits) to Float32, exactly
/// (F16C's conversion when the processor has it).
void bonsai_widen_f16(const uint16_t *halves, size_t count, float *floats);

/// Writes the selection keys of one row of `count` Float32 weights to `keys`: the key of
/// |w| (`norms` NULL, `squared` 0), of w² rounded to Float (`squared` 1), or of the Float
/// product |w|·norms[j] (Wanda, `norms` given, each ≥ 0). A key is the score's magnitude
/// bits under a marker bit (0x80000000), so keys order as the scores do and −0 keys as +0.
/// The weights must be finite; a w² or |w|·norm that overflows keys as +Inf.
void bonsai_row_keys_f32(const float *weights, size_t count, int squared, const float *norms,
                         uint32_t *keys);

/// The number of `keys[0 ..< count]` below `threshold` (`count` below 2^32).
size_t bonsai_count_below(const uint32_t *keys, size_t count, uint32_t threshold);

/// Writes the `count` keys (a small sample: O(count²) work, no branch on the keys) to
/// `sorted` in ascending order.
void bonsai_sort_sample(const uint32_t *keys, size_t count, uint32_t *sorted);

/// The portable versions of the per-row kernels, for the tests.
void bonsai_widen_f16_portable(const uint16_t *halves, size_t count, float *floats);
void bonsai_row_keys_f32_portable(const float *weights, size_t count, int squared,
                                  const float *norms, uint32_t *keys);
size_t bonsai_count_below_portable(const uint32_t *keys, size_t count, uint32_t threshold);
void bonsai_sort_sample_portable(const uint32_t *keys, size_t count, uint32_t *sorted);

#endif
