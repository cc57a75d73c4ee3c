// The C interface's test, built with `cc` against the installed library and run by
// scripts/test: every error code path (NULL pointers, bad shapes, bad options, bad score
// input, non-finite weights, a short mask, size_t values no buffer has, cancellation at
// every checkpoint), progress, unaligned buffers, input norms from calibration inputs,
// SparseGPT (counts, errors, cancellation, 16-bit weights, Hessians from inputs), and, for
// every case
// that Tests/CInterface/cli_cases.py wrote from the `bonsai` command line's output on the
// same tensors, the pruned bytes and mask of each dtype compared with the command line's.
//
// The test is the host process of a server: it sets OpenBLAS's thread count first and
// checks at the end that the library left it so (link it with -lopenblas as well).
//
// Usage: bonsai_test CASES_FOLDER
#include <bonsai.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

// OpenBLAS's own settings, as a host that runs its matmuls through OpenBLAS sets them.
void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);

#define CHECK(condition, ...)                                                 \
  do {                                                                        \
    if (!(condition)) {                                                       \
      failures++;                                                             \
      fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #condition); \
      fprintf(stderr, __VA_ARGS__);                                           \
      fputc('\n', stderr);                                                    \
    }                                                                         \
  } while (0)

// Expects `status`, with `error` holding it and a message containing `words`.
static void expect_error(bonsai_status status, const bonsai_error *error,
                         bonsai_status expected, const char *words) {
  CHECK(status == expected, "status %d, expected %d (%s)", status, expected, error->message);
  CHECK(error->status == expected, "error.status %d, expected %d", error->status, expected);
  CHECK(strstr(error->message, words) != NULL, "message \"%s\" lacks \"%s\"", error->message,
        words);
}

// One invalid option: how to break the defaults, and what the message says.
struct bad_option {
  const char *words;
  bonsai_options options;
};

static void option_errors(void) {
  bonsai_error error;
  bonsai_config *config = (bonsai_config *)&error;
  expect_error(bonsai_config_create(NULL, &config, &error), &error, BONSAI_ERROR_NULL_POINTER,
               "options is NULL");
  CHECK(config == NULL, "the handle is not cleared on failure");
  bonsai_options options;
  bonsai_options_init(&options);
  expect_error(bonsai_config_create(&options, NULL, &error), &error, BONSAI_ERROR_NULL_POINTER,
               "config is NULL");
  CHECK(bonsai_config_create(NULL, NULL, NULL) == BONSAI_ERROR_NULL_POINTER, "without error");
  bonsai_options_init(NULL);
  bonsai_config_destroy(NULL);

  struct bad_option cases[10];
  for (int i = 0; i < 10; i++) bonsai_options_init(&cases[i].options);
  cases[0].words = "sparsity 1.0 is out of range";
  cases[0].options.sparsity = 1.0;
  cases[1].words = "sparsity -0.1 is out of range";
  cases[1].options.sparsity = -0.1;
  cases[2].words = "min-nonzero -1 is negative";
  cases[2].options.min_nonzero = -1;
  cases[3].words = "N:M pattern 4:4 is invalid";
  cases[3].options.granularity = BONSAI_GRANULARITY_N_OF_M;
  cases[3].options.keep = 4;
  cases[4].words = "block shape 0x4 is invalid";
  cases[4].options.granularity = BONSAI_GRANULARITY_BLOCKS;
  cases[4].options.block_rows = 0;
  cases[5].words = "scope per-row ranks single weights";
  cases[5].options.per_row = 1;
  cases[5].options.granularity = BONSAI_GRANULARITY_ROWS;
  cases[6].words = "metric 99 is not one of";
  cases[6].options.metric = (bonsai_metric)99;
  cases[7].words = "granularity 17 is not one of";
  cases[7].options.granularity = (bonsai_granularity)17;
  cases[8].words = "threads -2 is negative";
  cases[8].options.threads = -2;
  cases[9].words = "takes no iterative mode";
  cases[9].options.granularity = BONSAI_GRANULARITY_N_OF_M;
  cases[9].options.iterative = BONSAI_ITERATIVE_TOTAL;
  for (int i = 0; i < 10; i++) {
    config = (bonsai_config *)&error;
    expect_error(bonsai_config_create(&cases[i].options, &config, &error), &error,
                 BONSAI_ERROR_INVALID_OPTION, cases[i].words);
    CHECK(config == NULL, "case %d left a handle", i);
  }
}

static bonsai_config *make_config(const bonsai_options *options) {
  bonsai_config *config = NULL;
  bonsai_error error;
  bonsai_status status = bonsai_config_create(options, &config, &error);
  CHECK(status == BONSAI_OK && config != NULL, "config: %s", error.message);
  return config;
}

static int progress_calls = 0;
static double last_fraction = -1;

static void count_progress(double fraction, void *context) {
  (void)context;
  progress_calls++;
  last_fraction = fraction;
}

static int always_cancel(void *context) { return *(int *)context; }

// Counts down the int at `context`: cancels on the call that brings it to 0.
static int cancel_at_call(void *context) { return --*(int *)context == 0; }

// Progress that must never go back: the int at `context` counts the times it did.
static double previous_fraction = 0;
static void monotone_progress(double fraction, void *context) {
  if (fraction < previous_fraction || fraction > 1) ++*(int *)context;
  previous_fraction = fraction;
  last_fraction = fraction;
  progress_calls++;
}

static void pruning_errors(void) {
  bonsai_options options;
  bonsai_options_init(&options);
  bonsai_config *config = make_config(&options);
  float weights[6] = {0.1f, -2, 0.3f, 4, -0.05f, 0.6f};
  const float original[6] = {0.1f, -2, 0.3f, 4, -0.05f, 0.6f};
  int64_t shape[2] = {2, 3};
  uint8_t mask[1];
  bonsai_result result = {77, 77};
  bonsai_error error;

  expect_error(bonsai_prune(NULL, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_NULL_POINTER, "config is NULL");
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, NULL, shape, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_NULL_POINTER, "values is NULL");
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, NULL, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_NULL_POINTER, "shape is NULL");
  bonsai_scores no_values = {BONSAI_SCORES_GRADIENTS, NULL, 6};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, &no_values, NULL,
                            NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_NULL_POINTER, "scores.values is NULL");
  CHECK(bonsai_prune(config, BONSAI_DTYPE_F32, NULL, shape, 2, NULL, NULL, NULL, NULL, 0, NULL,
                     NULL) == BONSAI_ERROR_NULL_POINTER,
        "without error");

  int64_t negative[2] = {-2, -3};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, negative, 2, NULL, NULL, NULL, NULL,
                            0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_SHAPE, "shape [-2, -3] is not a valid");
  int64_t huge[2] = {INT64_MAX, 2};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, huge, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_INVALID_SHAPE, "is not a valid tensor shape");
  int64_t empty[2] = {0, 3};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, empty, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_INVALID_SHAPE, "is empty");
  expect_error(bonsai_prune(config, (bonsai_dtype)5, weights, shape, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_INVALID_OPTION, "dtype 5");
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, (size_t)-1, NULL, NULL,
                            NULL, NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_SHAPE, "rank 18446744073709551615 is above 64");
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 65, NULL, NULL, NULL, NULL,
                            0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_SHAPE, "rank 65 is above 64");
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL, NULL, mask,
                            SIZE_MAX, NULL, &error),
               &error, BONSAI_ERROR_BUFFER_TOO_SMALL, "mask_bytes 18446744073709551615 is above");
  bonsai_scores endless = {BONSAI_SCORES_GRADIENTS, original, SIZE_MAX};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, &endless, NULL,
                            NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_SCORES, "scores.count 18446744073709551615 is above 6");
  bonsai_scores too_many = {BONSAI_SCORES_GRADIENTS, original, 7};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, &too_many, NULL,
                            NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_SCORES, "scores.count 7 is above 6");
  CHECK(memcmp(weights, original, sizeof weights) == 0, "a failing call changed weights");
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL, NULL, mask, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_BUFFER_TOO_SMALL, "mask of 0 bytes");
  bonsai_scores gradients = {BONSAI_SCORES_GRADIENTS, original, 6};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, &gradients, NULL,
                            NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_SCORES, "does not use gradients");
  bonsai_scores bad_kind = {(bonsai_score_kind)9, original, 6};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, &bad_kind, NULL,
                            NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_OPTION, "score kind 9");

  bonsai_options taylor_options;
  bonsai_options_init(&taylor_options);
  taylor_options.metric = BONSAI_METRIC_TAYLOR;
  bonsai_config *taylor = make_config(&taylor_options);
  expect_error(bonsai_prune(taylor, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_INVALID_SCORES, "needs gradients");
  bonsai_scores short_gradients = {BONSAI_SCORES_GRADIENTS, original, 5};
  expect_error(bonsai_prune(taylor, BONSAI_DTYPE_F32, weights, shape, 2, NULL, &short_gradients,
                            NULL, NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_SCORES, "5 gradients given, 6 expected");
  bonsai_config_destroy(taylor);

  bonsai_options nm_options;
  bonsai_options_init(&nm_options);
  nm_options.granularity = BONSAI_GRANULARITY_N_OF_M;
  bonsai_config *nm = make_config(&nm_options);
  expect_error(bonsai_prune(nm, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_INVALID_SHAPE, "do not split into groups of 4");
  int64_t flat[1] = {6};
  expect_error(bonsai_prune(nm, BONSAI_DTYPE_F32, weights, flat, 1, NULL, NULL, NULL, NULL, 0, NULL,
                            &error),
               &error, BONSAI_ERROR_INVALID_SHAPE, "needs a 2-D tensor");
  bonsai_config_destroy(nm);

  bonsai_options strict_options;
  bonsai_options_init(&strict_options);
  strict_options.min_nonzero = 7;
  bonsai_config *strict = make_config(&strict_options);
  expect_error(bonsai_prune(strict, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL, NULL, NULL, 0,
                            NULL, &error),
               &error, BONSAI_ERROR_INVALID_OPTION, "min-nonzero 7 exceeds its 6 elements");
  bonsai_config_destroy(strict);

  float corrupt[6] = {1, 2, 0.0f / 0.0f, 4, 5, 1.0f / 0.0f};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, corrupt, shape, 2, "fc1.weight", NULL,
                            NULL, NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_NON_FINITE_WEIGHTS, "tensor \"fc1.weight\": 2 non-finite");

  int stop = 1;
  bonsai_callbacks cancelling = {count_progress, always_cancel, &stop};
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL, &cancelling,
                            mask, 1, &result, &error),
               &error, BONSAI_ERROR_CANCELLED, "cancelled");
  CHECK(memcmp(weights, original, sizeof weights) == 0, "a cancelled call changed weights");
  CHECK(result.kept_count == 77, "a cancelled call wrote a result");
  CHECK(progress_calls == 1 && last_fraction == 0, "progress %d calls, last %g", progress_calls,
        last_fraction);

  // Told to stop at its second (last) checkpoint, once the mask is decided: still honoured.
  int second = 2;
  bonsai_callbacks late = {count_progress, cancel_at_call, &second};
  progress_calls = 0;
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL, &late, mask,
                            1, &result, &error),
               &error, BONSAI_ERROR_CANCELLED, "cancelled");
  CHECK(memcmp(weights, original, sizeof weights) == 0, "a late cancel changed weights");
  CHECK(progress_calls == 2 && last_fraction == 1, "progress %d calls, last %g", progress_calls,
        last_fraction);

  // The example of README.md and docs/library.md, with progress and a callback that lets it run.
  stop = 0;
  progress_calls = 0;
  bonsai_status status = bonsai_prune(config, BONSAI_DTYPE_F32, weights, shape, 2, NULL, NULL,
                                      &cancelling, mask, 1, &result, &error);
  CHECK(status == BONSAI_OK, "%s", error.message);
  const float expected[6] = {0, -2, 0, 4, 0, 0.6f};
  CHECK(memcmp(weights, expected, sizeof weights) == 0, "wrong weights");
  CHECK(result.element_count == 6 && result.kept_count == 3, "counts %llu %llu",
        (unsigned long long)result.element_count, (unsigned long long)result.kept_count);
  CHECK(mask[0] == 0x2a, "mask 0x%02x", mask[0]);
  CHECK(progress_calls == 2 && last_fraction == 1, "progress %d calls, last %g", progress_calls,
        last_fraction);

  float scalar = 3;
  CHECK(bonsai_prune(config, BONSAI_DTYPE_F32, &scalar, NULL, 0, NULL, NULL, NULL, NULL, 0, &result,
                     NULL) == BONSAI_OK && scalar == 3 && result.kept_count == 1,
        "a scalar");
  bonsai_config_destroy(config);
}

static void input_norms(void) {
  const float samples[4] = {3, 4, 4, -3};
  float norms[2] = {0, 0};
  bonsai_error error;
  CHECK(bonsai_input_norms(BONSAI_DTYPE_F32, samples, 2, 2, norms, 2, &error) == BONSAI_OK &&
            norms[0] == 5 && norms[1] == 5,
        "norms %g %g", norms[0], norms[1]);
  const uint16_t halves[2] = {0x4200, 0xc400}; /* float16 3 and -4 */
  CHECK(bonsai_input_norms(BONSAI_DTYPE_F16, halves, 2, 1, norms, 1, &error) == BONSAI_OK &&
            norms[0] == 5,
        "float16 norm %g", norms[0]);
  expect_error(bonsai_input_norms(BONSAI_DTYPE_F32, NULL, 2, 2, norms, 2, &error), &error,
               BONSAI_ERROR_NULL_POINTER, "samples is NULL");
  expect_error(bonsai_input_norms(BONSAI_DTYPE_F32, samples, 2, 2, NULL, 2, &error), &error,
               BONSAI_ERROR_NULL_POINTER, "norms is NULL");
  expect_error(bonsai_input_norms(BONSAI_DTYPE_F32, samples, 2, 2, norms, 1, &error), &error,
               BONSAI_ERROR_BUFFER_TOO_SMALL, "norms of 1 floats");
  expect_error(bonsai_input_norms(BONSAI_DTYPE_F32, samples, 2, 2, norms, SIZE_MAX, &error),
               &error, BONSAI_ERROR_BUFFER_TOO_SMALL, "norms_count 18446744073709551615 is above");
  unsigned char shifted[1 + sizeof samples];
  memcpy(shifted + 1, samples, sizeof samples);
  norms[0] = norms[1] = 0;
  CHECK(bonsai_input_norms(BONSAI_DTYPE_F32, shifted + 1, 2, 2, norms, 2, &error) == BONSAI_OK &&
            norms[0] == 5 && norms[1] == 5,
        "unaligned norms %g %g", norms[0], norms[1]);
  expect_error(bonsai_input_norms(BONSAI_DTYPE_F32, samples, -2, 2, norms, 2, &error), &error,
               BONSAI_ERROR_INVALID_SHAPE, "shape [-2, 2]");
  expect_error(bonsai_input_norms((bonsai_dtype)7, samples, 2, 2, norms, 2, &error), &error,
               BONSAI_ERROR_INVALID_OPTION, "dtype 7");
  const float corrupt[4] = {3, 0.0f / 0.0f, 4, 1};
  expect_error(bonsai_input_norms(BONSAI_DTYPE_F32, corrupt, 2, 2, norms, 2, &error), &error,
               BONSAI_ERROR_INVALID_SCORES, "1 non-finite input");
}

// Reads a whole file; NULL when it cannot.
static unsigned char *read_file(const char *folder, const char *name, const char *suffix,
                                size_t *size) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s%s", folder, name, suffix);
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  fseek(file, 0, SEEK_END);
  *size = (size_t)ftell(file);
  fseek(file, 0, SEEK_SET);
  unsigned char *bytes = malloc(*size ? *size : 1);
  if (fread(bytes, 1, *size, file) != *size) *size = 0;
  fclose(file);
  return bytes;
}

// Each line of CASES/cases.txt: name dtype rows columns sparsity metric granularity keep
// group block_rows block_columns pooling per_row iterative seed min_nonzero scores_kind
// (-1 for none). NAME.in holds the weights, NAME.scores the score input, NAME.expected the
// command line's output and NAME.mask its kept bits, packed as bonsai_prune packs them.
static int compare_cases(const char *folder) {
  char path[4096];
  snprintf(path, sizeof path, "%s/cases.txt", folder);
  FILE *list = fopen(path, "r");
  CHECK(list != NULL, "no %s", path);
  if (!list) return 0;
  char name[256];
  int dtype, metric, granularity, pooling, per_row, iterative, scores_kind;
  long long rows, columns, keep, group, block_rows, block_columns, min_nonzero;
  unsigned long long seed;
  double sparsity;
  int compared = 0;
  while (fscanf(list, "%255s %d %lld %lld %lf %d %d %lld %lld %lld %lld %d %d %d %llu %lld %d",
                name, &dtype, &rows, &columns, &sparsity, &metric, &granularity, &keep, &group,
                &block_rows, &block_columns, &pooling, &per_row, &iterative, &seed,
                &min_nonzero, &scores_kind) == 17) {
    bonsai_options options;
    bonsai_options_init(&options);
    options.sparsity = sparsity;
    options.metric = (bonsai_metric)metric;
    options.granularity = (bonsai_granularity)granularity;
    options.keep = keep;
    options.group = group;
    options.block_rows = block_rows;
    options.block_columns = block_columns;
    options.block_pooling = (bonsai_block_pooling)pooling;
    options.per_row = per_row;
    options.iterative = (bonsai_iterative)iterative;
    options.seed = seed;
    options.min_nonzero = min_nonzero;
    bonsai_config *config = make_config(&options);
    size_t size = 0, expected_size = 0, mask_size = 0, scores_size = 0;
    unsigned char *values = read_file(folder, name, ".in", &size);
    unsigned char *expected = read_file(folder, name, ".expected", &expected_size);
    unsigned char *expected_mask = read_file(folder, name, ".mask", &mask_size);
    unsigned char *score_values = read_file(folder, name, ".scores", &scores_size);
    CHECK(values && expected && expected_mask && size == expected_size, "case %s files", name);
    if (config && values && expected && expected_mask) {
      int64_t shape[2] = {rows, columns};
      bonsai_scores scores = {(bonsai_score_kind)scores_kind, (const float *)score_values,
                              scores_size / sizeof(float)};
      uint8_t *mask = calloc(mask_size + 1, 1);
      bonsai_result result;
      bonsai_error error;
      bonsai_status status =
          bonsai_prune(config, (bonsai_dtype)dtype, values, shape, 2, name,
                       scores_kind >= 0 ? &scores : NULL, NULL, mask, mask_size, &result, &error);
      CHECK(status == BONSAI_OK, "case %s: %s", name, error.message);
      CHECK(memcmp(values, expected, size) == 0, "case %s: weights differ from the CLI's", name);
      CHECK(memcmp(mask, expected_mask, mask_size) == 0, "case %s: mask differs", name);
      uint64_t kept = 0;
      for (size_t i = 0; i < mask_size; i++) kept += (uint64_t)__builtin_popcount(mask[i]);
      CHECK(result.kept_count == kept && result.element_count == (uint64_t)(rows * columns),
            "case %s: counts", name);
      free(mask);
      compared++;
    }
    free(values);
    free(expected);
    free(expected_mask);
    free(score_values);
    bonsai_config_destroy(config);
  }
  fclose(list);
  return compared;
}

// A deterministic pseudo-random float in [-1, 1).
static float next_float(uint64_t *state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)((*state >> 40) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

// The same weights at byte offsets 1, 2, 3 (float32) and 1 (float16, bfloat16) prune to the
// bytes and mask of an aligned buffer.
static void unaligned_buffers(void) {
  enum { ROWS = 16, COLUMNS = 24, COUNT = ROWS * COLUMNS };
  bonsai_options options;
  bonsai_options_init(&options);
  options.granularity = BONSAI_GRANULARITY_N_OF_M;
  bonsai_config *config = make_config(&options);
  int64_t shape[2] = {ROWS, COLUMNS};
  uint64_t state = 7;
  float floats[COUNT];
  uint16_t halves[COUNT];
  for (int i = 0; i < COUNT; i++) {
    floats[i] = next_float(&state);
    halves[i] = (uint16_t)(0x3000 + (state >> 50));  // finite float16 and bfloat16 bits
  }
  struct { bonsai_dtype dtype; const void *values; size_t size; int offsets[3]; } cases[3] = {
      {BONSAI_DTYPE_F32, floats, sizeof floats, {1, 2, 3}},
      {BONSAI_DTYPE_F16, halves, sizeof halves, {1, 0, 0}},
      {BONSAI_DTYPE_BF16, halves, sizeof halves, {1, 0, 0}}};
  for (int c = 0; c < 3; c++) {
    _Alignas(16) unsigned char aligned[sizeof floats];
    unsigned char shifted[sizeof floats + 16];
    uint8_t mask[COUNT / 8], expected_mask[COUNT / 8];
    bonsai_error error;
    memcpy(aligned, cases[c].values, cases[c].size);
    CHECK(bonsai_prune(config, cases[c].dtype, aligned, shape, 2, NULL, NULL, NULL, expected_mask,
                       sizeof mask, NULL, &error) == BONSAI_OK,
          "aligned: %s", error.message);
    for (int o = 0; o < 3 && cases[c].offsets[o]; o++) {
      // shifted is 16-aligned or not; an offset from a 16-aligned base is what is tested.
      unsigned char *base = shifted + (16 - (uintptr_t)shifted % 16) % 16;
      unsigned char *values = base + cases[c].offsets[o];
      memcpy(values, cases[c].values, cases[c].size);
      bonsai_status status = bonsai_prune(config, cases[c].dtype, values, shape, 2, NULL, NULL,
                                          NULL, mask, sizeof mask, NULL, &error);
      CHECK(status == BONSAI_OK, "dtype %d offset %d: %s", cases[c].dtype, cases[c].offsets[o],
            error.message);
      CHECK(memcmp(values, aligned, cases[c].size) == 0 &&
                memcmp(mask, expected_mask, sizeof mask) == 0,
            "dtype %d offset %d: not the aligned call's result", cases[c].dtype,
            cases[c].offsets[o]);
    }
  }
  bonsai_config_destroy(config);
}

// SparseGPT on a small layer with a Hessian formed from inputs: exact counts, kept weights
// updated, the same result from H given as F64, at an odd address and through F16 weights,
// every error, and cancellation at each checkpoint with the weights untouched.
static void sparsegpt(void) {
  enum { ROWS = 300, N = 64, TOKENS = 128, COUNT = ROWS * N };
  static float weights[COUNT], original[COUNT], inputs[TOKENS * N];
  static double hessian[N * N];
  uint64_t state = 11;
  for (int i = 0; i < COUNT; i++) original[i] = next_float(&state);
  for (int i = 0; i < TOKENS * N; i++) inputs[i] = next_float(&state);
  bonsai_sparsegpt_options options;
  bonsai_sparsegpt_options_init(&options);
  options.block_size = 16;
  bonsai_hessian from_inputs = {BONSAI_HESSIAN_INPUTS, BONSAI_DTYPE_F32, inputs, TOKENS};
  bonsai_sparsegpt_result result;
  bonsai_error error;
  uint8_t mask[COUNT / 8];
  memcpy(weights, original, sizeof weights);
  bonsai_status status = bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, weights, ROWS, N, "fc",
                                          &from_inputs, NULL, mask, sizeof mask, &result, &error);
  CHECK(status == BONSAI_OK, "sparsegpt: %s", error.message);
  int zeros = 0, changed = 0, unmasked = 0;
  for (int i = 0; i < COUNT; i++) {
    zeros += weights[i] == 0;
    changed += weights[i] != 0 && weights[i] != original[i];
    unmasked += ((mask[i / 8] >> (i % 8)) & 1) != (weights[i] != 0);
  }
  CHECK(zeros == COUNT / 2 && result.kept_count == COUNT / 2 && result.element_count == COUNT,
        "%d zeros, %llu kept", zeros, (unsigned long long)result.kept_count);
  CHECK(changed > COUNT / 4, "only %d kept weights updated", changed);
  CHECK(unmasked == 0, "%d mask bits disagree with the weights", unmasked);
  CHECK(result.relative_output_error > 0 && result.relative_output_error < 1, "error %g",
        result.relative_output_error);

  // The same H computed here in double precision, and given as F64: the same weights up to
  // the summation order of H (within float rounding of the updates), the same count.
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double sum = 0;
      for (int t = 0; t < TOKENS; t++) sum += (double)inputs[t * N + i] * inputs[t * N + j];
      hessian[i * N + j] = sum;
    }
  static float again[COUNT];
  memcpy(again, original, sizeof again);
  bonsai_hessian matrix = {BONSAI_HESSIAN_MATRIX, BONSAI_DTYPE_F64, hessian, N};
  bonsai_sparsegpt_result matrix_result;
  CHECK(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, "fc", &matrix, NULL, NULL, 0,
                         &matrix_result, &error) == BONSAI_OK,
        "sparsegpt with H: %s", error.message);
  double largest = 0;
  for (int i = 0; i < COUNT; i++) {
    double difference = again[i] > weights[i] ? again[i] - weights[i] : weights[i] - again[i];
    if (difference > largest) largest = difference;
  }
  CHECK(matrix_result.kept_count == COUNT / 2 && largest < 1e-3, "H given: %g apart", largest);

  // At an odd address: the aligned call's bytes.
  static unsigned char shifted[sizeof weights + 1];
  memcpy(shifted + 1, original, sizeof original);
  CHECK(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, shifted + 1, ROWS, N, "fc", &from_inputs,
                         NULL, NULL, 0, NULL, &error) == BONSAI_OK &&
            memcmp(shifted + 1, weights, sizeof weights) == 0,
        "unaligned sparsegpt differs: %s", error.message);

  // Cancelled at each of its checkpoints in turn (two before the sweep, then one per round
  // of row bands of each block), the last included: never asked again, the weights
  // untouched. Then progress, watched: it never goes back and ends at 1.
  for (int at = 1;; at++) {
    int countdown = at;
    progress_calls = 0;
    bonsai_callbacks callbacks = {count_progress, cancel_at_call, &countdown};
    memcpy(again, original, sizeof again);
    status = bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, "fc", &from_inputs,
                              &callbacks, NULL, 0, NULL, &error);
    if (status == BONSAI_OK) {
      CHECK(at > 3 && last_fraction == 1 && memcmp(again, weights, sizeof again) == 0,
            "uncancelled after %d checkpoints, last %g", at - 1, last_fraction);
      break;
    }
    CHECK(status == BONSAI_ERROR_CANCELLED && progress_calls == at &&
              memcmp(again, original, sizeof again) == 0,
          "cancel at checkpoint %d: status %d, %d calls, weights %s", at, status, progress_calls,
          memcmp(again, original, sizeof again) ? "changed" : "kept");
    if (at > 100) break;
  }
  int backwards = 0;
  progress_calls = 0;
  previous_fraction = 0;
  bonsai_callbacks watching = {monotone_progress, NULL, &backwards};
  memcpy(again, original, sizeof again);
  CHECK(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, "fc", &from_inputs,
                         &watching, NULL, 0, NULL, &error) == BONSAI_OK &&
            backwards == 0 && last_fraction == 1 && progress_calls > 3,
        "progress: %d calls, %d backwards, last %g", progress_calls, backwards, last_fraction);

  // Float16 weights (the float weights rounded): pruned in float, rounded once.
  static uint16_t halves[COUNT];
  for (int i = 0; i < COUNT; i++) halves[i] = (uint16_t)(0x3000 + (i * 37 % 0x0800));
  CHECK(bonsai_sparsegpt(&options, BONSAI_DTYPE_F16, halves, ROWS, N, "fc", &from_inputs, NULL,
                         NULL, 0, &result, &error) == BONSAI_OK &&
            result.kept_count == COUNT / 2,
        "float16 sparsegpt: %s", error.message);
  int half_zeros = 0;
  for (int i = 0; i < COUNT; i++) half_zeros += halves[i] == 0;
  CHECK(half_zeros == COUNT / 2, "float16: %d zeros", half_zeros);

  // Errors: each leaves the weights as they were.
  memcpy(again, original, sizeof again);
  expect_error(bonsai_sparsegpt(NULL, BONSAI_DTYPE_F32, again, ROWS, N, NULL, &from_inputs, NULL,
                                NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_NULL_POINTER, "options is NULL");
  expect_error(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, NULL, NULL, NULL,
                                NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_NULL_POINTER, "hessian is NULL");
  expect_error(bonsai_sparsegpt(&options, BONSAI_DTYPE_F64, again, ROWS, N, NULL, &from_inputs,
                                NULL, NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_OPTION, "weights of dtype F64");
  bonsai_hessian wrong_size = {BONSAI_HESSIAN_MATRIX, BONSAI_DTYPE_F64, hessian, N - 1};
  expect_error(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, "fc", &wrong_size,
                                NULL, NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_HESSIAN, "Hessian of shape [63, 63], expected [64, 64]");
  bonsai_hessian half_hessian = {BONSAI_HESSIAN_MATRIX, BONSAI_DTYPE_F16, hessian, N};
  expect_error(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, "fc", &half_hessian,
                                NULL, NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_OPTION, "a Hessian of dtype F16: it takes F32 or F64");
  hessian[5] = 0.0 / 0.0;
  expect_error(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, "fc", &matrix, NULL,
                                NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_HESSIAN, "non-finite Hessian");
  bonsai_sparsegpt_options bad = options;
  bad.block_size = 0;
  expect_error(bonsai_sparsegpt(&bad, BONSAI_DTYPE_F32, again, ROWS, N, NULL, &from_inputs, NULL,
                                NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_OPTION, "block size 0");
  bad = options;
  bad.keep = 2;
  bad.group = 4;
  bad.block_size = 6;
  expect_error(bonsai_sparsegpt(&bad, BONSAI_DTYPE_F32, again, ROWS, N, NULL, &from_inputs, NULL,
                                NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_OPTION, "not a multiple of the N:M group 4");
  expect_error(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, NULL, &from_inputs,
                                NULL, mask, SIZE_MAX, NULL, &error),
               &error, BONSAI_ERROR_BUFFER_TOO_SMALL, "mask_bytes 18446744073709551615");
  again[7] = 1.0f / 0.0f;
  expect_error(bonsai_sparsegpt(&options, BONSAI_DTYPE_F32, again, ROWS, N, "fc", &from_inputs,
                                NULL, NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_NON_FINITE_WEIGHTS, "tensor \"fc\": 1 non-finite");
  again[7] = original[7];
  CHECK(memcmp(again, original, sizeof again) == 0, "a failing sparsegpt changed weights");
}

int main(int argc, char **argv) {
  openblas_set_num_threads(3);
  CHECK(strcmp(bonsai_version(), BONSAI_VERSION) == 0, "version %s", bonsai_version());
  option_errors();
  pruning_errors();
  input_norms();
  unaligned_buffers();
  sparsegpt();
  int compared = argc > 1 ? compare_cases(argv[1]) : 0;
  CHECK(argc <= 1 || compared > 0, "no cases compared");
  CHECK(openblas_get_num_threads() == 3, "OpenBLAS threads %d after pruning, the host set 3",
        openblas_get_num_threads());
  if (failures) {
    fprintf(stderr, "bonsai_test: %d failure(s)\n", failures);
    return 1;
  }
  printf("bonsai_test: libbonsai %s, error paths checked, %d cases equal to the CLI's\n",
         bonsai_version(), compared);
  return 0;
}
