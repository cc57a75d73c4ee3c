/*
 * bonsai.h — the C interface of Bonsai's pruning library (libbonsai.so).
 *
 * Prunes the weights of one tensor in place: float32, float16 or bfloat16, row-major,
 * given its shape, by a masking method (bonsai_prune) or by SparseGPT (bonsai_sparsegpt). The same rules as the Swift library `Pruning` and the `bonsai` command
 * line: exactly k = min(floor(sparsity × units), units − ceil(min_nonzero / unit size))
 * units pruned, ties to the lower index, pruned weights set to +0, kept weights keeping
 * their bits, the same bits out whatever the thread count.
 *
 * Thread safety: every function may be called from any thread at once. A configuration is
 * immutable once created and may be shared between threads. Errors are returned as a
 * status code and, when the caller passes a `bonsai_error`, a message written into it:
 * there is no global "last error". The library changes no process-wide state (not
 * OpenBLAS's thread count, not signal handlers, not the working directory) and prints
 * nothing.
 *
 * Buffers may lie at any address: an array whose start is not a multiple of its dtype's
 * size (a float32 tensor at byte offset 1 of a file, say) is read through an aligned copy
 * and, when written, copied back; that costs one allocation of its size and a memcpy each
 * way (about 7 ms per 64 MB), and gives the bits of an aligned call.
 *
 * Sizes: every size_t argument is checked before it is used; a value no buffer can have
 * (above INT64_MAX, or a rank above BONSAI_MAX_RANK) is an error naming the argument and
 * its value, never a crash. Pointers cannot be checked: a buffer must hold what its size
 * says.
 *
 * Build: cc example.c $(pkg-config --cflags --libs bonsai)   (see README.md, "From C")
 */
#ifndef BONSAI_H
#define BONSAI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The library's version, also returned by bonsai_version(). */
#define BONSAI_VERSION "0.1.0"

/** What a call returns: BONSAI_OK, or why it failed. */
typedef enum bonsai_status {
  BONSAI_OK = 0,
  /** A required pointer argument was NULL. */
  BONSAI_ERROR_NULL_POINTER = 1,
  /** An option is out of range or does not combine with another (sparsity, N:M, blocks,
   *  per-row with structured units, an unknown enum value, min_nonzero above the tensor). */
  BONSAI_ERROR_INVALID_OPTION = 2,
  /** The shape does not describe the buffer, or the granularity cannot take it (not 2-D,
   *  a row length that does not split into N:M groups, no elements). */
  BONSAI_ERROR_INVALID_SHAPE = 3,
  /** Score input missing, not used by the metric, of the wrong length, or holding NaN,
   *  ±Inf or (for norms) negative values. */
  BONSAI_ERROR_INVALID_SCORES = 4,
  /** The weights hold NaN or ±Inf: they are never ranked. */
  BONSAI_ERROR_NON_FINITE_WEIGHTS = 5,
  /** The cancel callback asked to stop; the weights are untouched. */
  BONSAI_ERROR_CANCELLED = 6,
  /** The mask buffer is smaller than (element count + 7) / 8 bytes, or a size_t size is
   *  larger than any buffer (above INT64_MAX). */
  BONSAI_ERROR_BUFFER_TOO_SMALL = 7,
  /** bonsai_sparsegpt: the Hessian (or calibration inputs) does not fit the weights, holds
   *  NaN or ±Inf, or is not positive semi-definite beyond what the dampening repairs. */
  BONSAI_ERROR_INVALID_HESSIAN = 8
} bonsai_status;

/** The largest rank bonsai_prune takes (numpy's limit). */
#define BONSAI_MAX_RANK 64

/** Room for a message, including its terminating NUL. */
#define BONSAI_MESSAGE_CAPACITY 512

/** Filled by a failing call when the caller passes one: the status and a one-line UTF-8
 *  message naming what is wrong (`tensor "fc": 3 non-finite weights (NaN or ±Inf)`).
 *  Left unchanged by a call that succeeds. */
typedef struct bonsai_error {
  bonsai_status status;
  char message[BONSAI_MESSAGE_CAPACITY];
} bonsai_error;

/** How weights are scored; low scores are pruned first. */
typedef enum bonsai_metric {
  /** |w|; the L1 norm of a row or column. */
  BONSAI_METRIC_L1 = 0,
  /** w²; the L2 norm of a row or column. */
  BONSAI_METRIC_L2 = 1,
  /** |w·g| from gradients (BONSAI_SCORES_GRADIENTS). */
  BONSAI_METRIC_TAYLOR = 2,
  /** The Taylor score without gradients: scored as L2. */
  BONSAI_METRIC_TAYLOR_PROXY = 3,
  /** Wanda's |w_ij|·‖X_j‖ from input norms, one per column (BONSAI_SCORES_INPUT_NORMS). */
  BONSAI_METRIC_WANDA = 4,
  /** Reproducible pseudo-random scores from `seed`. */
  BONSAI_METRIC_RANDOM = 5,
  /** The caller's scores, one per weight (BONSAI_SCORES_SCORES). */
  BONSAI_METRIC_SUPPLIED = 6
} bonsai_metric;

/** What one pruning decision removes. */
typedef enum bonsai_granularity {
  BONSAI_GRANULARITY_UNSTRUCTURED = 0,
  /** Whole rows of a 2-D tensor. */
  BONSAI_GRANULARITY_ROWS = 1,
  /** Whole columns of a 2-D tensor. */
  BONSAI_GRANULARITY_COLUMNS = 2,
  /** N:M: `keep` of every `group` consecutive weights along a row survive (sparsity is
   *  (group − keep) / group; `sparsity` is ignored). */
  BONSAI_GRANULARITY_N_OF_M = 3,
  /** block_rows × block_columns blocks, scored by the mean or max of their scores. */
  BONSAI_GRANULARITY_BLOCKS = 4
} bonsai_granularity;

/** How a block's element scores become its score. */
typedef enum bonsai_block_pooling {
  BONSAI_POOLING_MEAN = 0,
  BONSAI_POOLING_MAX = 1
} bonsai_block_pooling;

/** How zeros already present count (see docs/semantics.md). */
typedef enum bonsai_iterative {
  BONSAI_ITERATIVE_NONE = 0,
  BONSAI_ITERATIVE_TOTAL = 1,
  BONSAI_ITERATIVE_REMAINING = 2
} bonsai_iterative;

/** The options of a configuration; start from bonsai_options_init(). */
typedef struct bonsai_options {
  /** The fraction of units to prune, in [0, 1). Default 0.5, as on the command line. */
  double sparsity;
  /** Default BONSAI_METRIC_L1. */
  bonsai_metric metric;
  /** Default BONSAI_GRANULARITY_UNSTRUCTURED. */
  bonsai_granularity granularity;
  /** N:M: weights kept (N) of every `group` (M); 1 ≤ keep < group. Default 2 of 4. */
  int64_t keep;
  int64_t group;
  /** Blocks: their shape, each side ≥ 1 (default 4 × 4), and pooling (default mean). */
  int64_t block_rows;
  int64_t block_columns;
  bonsai_block_pooling block_pooling;
  /** Nonzero: each row is ranked on its own (unstructured only). Default 0. */
  int32_t per_row;
  /** Default BONSAI_ITERATIVE_NONE. */
  bonsai_iterative iterative;
  /** The seed of BONSAI_METRIC_RANDOM. Default 0. */
  uint64_t seed;
  /** How many elements survive at least, ≥ 0. Default 1. */
  int64_t min_nonzero;
  /** Threads one call may use; 0 for the processors available. Default 0. */
  int64_t threads;
} bonsai_options;

/** An immutable, validated configuration. */
typedef struct bonsai_config bonsai_config;

/** The element type of a buffer. */
typedef enum bonsai_dtype {
  BONSAI_DTYPE_F32 = 0,
  /** IEEE half precision, as uint16_t bits. */
  BONSAI_DTYPE_F16 = 1,
  /** bfloat16, as uint16_t bits (the high half of a float32). */
  BONSAI_DTYPE_BF16 = 2,
  /** IEEE double precision: a Hessian of bonsai_sparsegpt only, never weights. */
  BONSAI_DTYPE_F64 = 3
} bonsai_dtype;

/** Which per-tensor input a metric needs besides the weights. */
typedef enum bonsai_score_kind {
  /** ∂loss/∂w, one per weight (BONSAI_METRIC_TAYLOR). */
  BONSAI_SCORES_GRADIENTS = 0,
  /** ‖X_j‖₂ per input feature, one per column (BONSAI_METRIC_WANDA). */
  BONSAI_SCORES_INPUT_NORMS = 1,
  /** One score per weight, used as given (BONSAI_METRIC_SUPPLIED). */
  BONSAI_SCORES_SCORES = 2
} bonsai_score_kind;

/** Score input: `count` float32 values of kind `kind`; read, never kept. */
typedef struct bonsai_scores {
  bonsai_score_kind kind;
  const float *values;
  size_t count;
} bonsai_scores;

/** Progress and cancellation. Both callbacks are optional and are called on the calling
 *  thread, never after the call returns.
 *
 *  At each checkpoint `progress` receives the fraction done (from 0, never decreasing) and
 *  then `cancel` is asked; its answer is always honoured: nonzero stops the call with
 *  BONSAI_ERROR_CANCELLED and the weights, the mask and the result untouched. The last
 *  checkpoint, with 1, comes once every decision is made, just before the weights are
 *  written; neither callback is called after it, so a call that returns BONSAI_OK was never
 *  told to stop, and a tensor is pruned completely or not at all.
 *
 *  Where the checkpoints are:
 *  - bonsai_prune: 0 before the mask is decided, 1 once it is (deciding is nearly all of
 *    the call; the weights are then written in one pass, a few ms per 16 M weights).
 *  - bonsai_sparsegpt: 0 before the Hessian is formed and factored, 0 again before the
 *    sweep, then the fraction of columns swept after every round of row bands of each
 *    column block (256 rows per thread; about 60 ms apart, measured on a 4096 × 3072
 *    layer on two busy cores), the last with 1. Forming H from inputs and factoring it
 *    (tokens·n² and n³/3 flops) are not interrupted.
 *
 *  A callback must not unwind (no longjmp, no C++ exception) through the library. */
typedef struct bonsai_callbacks {
  void (*progress)(double fraction_done, void *context);
  int (*cancel)(void *context);
  void *context;
} bonsai_callbacks;

/** What a pruning call did. */
typedef struct bonsai_result {
  /** The tensor's element count. */
  uint64_t element_count;
  /** How many elements were kept. */
  uint64_t kept_count;
} bonsai_result;

/** The library's version, "MAJOR.MINOR.PATCH"; a static string. */
const char *bonsai_version(void);

/** Fills `options` with the defaults above. Does nothing when `options` is NULL. */
void bonsai_options_init(bonsai_options *options);

/** Checks `options` and creates a configuration in `*config`, to be released with
 *  bonsai_config_destroy(). On failure `*config` is set to NULL (when `config` is not
 *  NULL). `error` may be NULL. */
bonsai_status bonsai_config_create(const bonsai_options *options, bonsai_config **config,
                                   bonsai_error *error);

/** Releases a configuration; NULL is ignored. */
void bonsai_config_destroy(bonsai_config *config);

/**
 * Prunes `values`, a row-major tensor of `dtype` and shape `shape[0 ..< rank]`, in place.
 *
 * - `shape` may be NULL only when `rank` is 0 (a scalar); rank ≤ BONSAI_MAX_RANK,
 *   dimensions ≥ 0.
 * - `name`: the tensor's name for error messages (UTF-8), or NULL for "tensor".
 * - `scores`: the input the metric needs, or NULL; its `count` may not exceed the tensor's
 *   element count (the most any kind needs), checked before `values` is read.
 * - `callbacks`: progress and cancellation, or NULL.
 * - `mask`: NULL, or room for `mask_bytes` ≥ (element count + 7) / 8 bytes that receive
 *   the kept elements as bits, little-endian (element i is bit i % 8 of byte i / 8).
 * - `result`: NULL, or receives the element and kept counts.
 * - `error`: NULL, or receives the status and a message when the call fails.
 *
 * On any error the weights, the mask and the result are left untouched.
 */
bonsai_status bonsai_prune(const bonsai_config *config, bonsai_dtype dtype, void *values,
                           const int64_t *shape, size_t rank, const char *name,
                           const bonsai_scores *scores,
                           const bonsai_callbacks *callbacks, uint8_t *mask,
                           size_t mask_bytes, bonsai_result *result, bonsai_error *error);

/**
 * Wanda's input norms from calibration inputs: the L2 norm ‖X_j‖₂ of every column of
 * `samples`, a row-major `rows × columns` matrix of `dtype` (inputs to the layer, one row
 * per token), written to `norms[0 ..< columns]` — the BONSAI_SCORES_INPUT_NORMS of the
 * layer, computed as the command line computes them from `--activations`. `norms_count`
 * must be at least `columns`. NaN or ±Inf inputs are an error (BONSAI_ERROR_INVALID_SCORES).
 */
bonsai_status bonsai_input_norms(bonsai_dtype dtype, const void *samples, int64_t rows,
                                 int64_t columns, float *norms, size_t norms_count,
                                 bonsai_error *error);

/** The options of bonsai_sparsegpt; start from bonsai_sparsegpt_options_init(). */
typedef struct bonsai_sparsegpt_options {
  /** The fraction of weights pruned, in [0, 1): exactly floor(sparsity × rows × columns)
   *  per tensor, or floor(sparsity × columns) per row with `per_row`. Default 0.5; not
   *  used with an N:M pattern. */
  double sparsity;
  /** N:M: `keep` of every `group` consecutive weights along a row survive, 1 ≤ keep <
   *  group; `group` 0 (the default) prunes single weights. */
  int64_t keep;
  int64_t group;
  /** Nonzero: each row gets its own count (single weights only). Default 0. */
  int32_t per_row;
  /** Nonzero (the default): result->relative_output_error is measured, in double
   *  precision (2·rows·n² flops, about twice the sweep's); 0: it is set to NaN. */
  int32_t measure_output_error;
  /** How many weights (per row with `per_row`) survive at least, ≥ 0. Default 1. */
  int64_t min_nonzero;
  /** Columns per block, ≥ 1 and a multiple of `group` for N:M. Default 128. */
  int64_t block_size;
  /** λ = dampening × mean(diag H) is added to H's diagonal; finite, ≥ 0. Default 0.01. */
  double dampening;
  /** Threads one call may use; 0 for the processors available. Default 0. The result is
   *  the same whatever the count. */
  int64_t threads;
} bonsai_sparsegpt_options;

/** What a bonsai_hessian holds. */
typedef enum bonsai_hessian_kind {
  /** H itself: `rows` = n (the weights' columns), n × n, row-major, symmetric, of
   *  BONSAI_DTYPE_F32 or BONSAI_DTYPE_F64. */
  BONSAI_HESSIAN_MATRIX = 0,
  /** Calibration inputs X of the layer: `rows` tokens × n, row-major, of BONSAI_DTYPE_F32,
   *  F16 or BF16, from which H = XᵀX is formed in double precision, as the command line's
   *  `--activations` does. (H's scale does not matter: the paper's 2XᵀX/tokens gives the
   *  same mask and updates up to rounding.) */
  BONSAI_HESSIAN_INPUTS = 1
} bonsai_hessian_kind;

/** The Hessian of a layer's inputs, or the inputs themselves; read, never kept. */
typedef struct bonsai_hessian {
  bonsai_hessian_kind kind;
  bonsai_dtype dtype;
  const void *values;
  int64_t rows;
} bonsai_hessian;

/** What a SparseGPT call did. */
typedef struct bonsai_sparsegpt_result {
  /** The tensor's element count. */
  uint64_t element_count;
  /** How many weights were kept. */
  uint64_t kept_count;
  /** How far the layer's output moved on the calibration data: sqrt(tr(ΔW·H·ΔWᵀ) /
   *  tr(W·H·Wᵀ)), ΔW the change of the weights as written (rounded to their dtype);
   *  NaN unless options->measure_output_error. */
  double relative_output_error;
} bonsai_sparsegpt_result;

/** Fills `options` with the defaults above (those of `bonsai prune --metric sparsegpt`).
 *  Does nothing when `options` is NULL. */
void bonsai_sparsegpt_options_init(bonsai_sparsegpt_options *options);

/**
 * Prunes `weights`, a row-major `rows × columns` matrix of `dtype` (F32, F16 or BF16) laid
 * out as [out, in], by SparseGPT (Frantar & Alistarh, 2023) with the Hessian of its inputs:
 * exactly the count of the options pruned (set to +0), and the kept weights updated to
 * preserve the layer's output. The bits of `bonsai prune --metric sparsegpt` on the same
 * tensor, Hessian (`--hessians`) or inputs (`--activations`) and options.
 *
 * Unlike bonsai_prune's, kept weights change: the updates are computed in float32 and,
 * for F16 and BF16 weights, rounded once to the dtype (to nearest, ties to even).
 *
 * - `name`: the tensor's name for error messages (UTF-8), or NULL for "tensor".
 * - `hessian`: H [columns, columns] or calibration inputs [tokens, columns].
 * - `callbacks`: progress and cancellation (see bonsai_callbacks), or NULL.
 * - `mask`, `mask_bytes`: as bonsai_prune's.
 * - `result`: NULL, or receives the counts and the relative output error.
 * - `error`: NULL, or receives the status and a message when the call fails.
 *
 * The weights are pruned in a float32 copy and written once, at the end: on any error,
 * and when cancelled, the weights, the mask and the result are left untouched.
 *
 * Statuses: BONSAI_ERROR_NULL_POINTER, BONSAI_ERROR_INVALID_OPTION (an option out of
 * range, an unknown dtype or Hessian kind), BONSAI_ERROR_INVALID_SHAPE (the weights are
 * empty, or N:M groups do not split a row), BONSAI_ERROR_NON_FINITE_WEIGHTS,
 * BONSAI_ERROR_INVALID_HESSIAN, BONSAI_ERROR_CANCELLED, BONSAI_ERROR_BUFFER_TOO_SMALL.
 *
 * Memory: besides the caller's buffers, 8 bytes per weight (the float32 copy and the
 * sweep's accumulator; 2 more for F16 or BF16), 8·n² while factoring and 4·n² held, 8·n²
 * for H formed from inputs (plus a float32 copy of the inputs), and, to measure the output
 * error, 8 bytes per weight (both sides widened) plus 8·n² from a float32 H. Time: about
 * rows·n² flops for the sweep, n³/3 (double precision) for the factor, tokens·n² for H
 * from inputs, 2·rows·n² for the output error. A buffer not aligned for its dtype adds a
 * copy of it.
 */
bonsai_status bonsai_sparsegpt(const bonsai_sparsegpt_options *options, bonsai_dtype dtype,
                               void *weights, int64_t rows, int64_t columns, const char *name,
                               const bonsai_hessian *hessian,
                               const bonsai_callbacks *callbacks, uint8_t *mask,
                               size_t mask_bytes, bonsai_sparsegpt_result *result,
                               bonsai_error *error);

#ifdef __cplusplus
}
#endif

#endif
