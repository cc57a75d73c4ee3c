// The C interface's test, built with `cc` against the installed library and run by
// scripts/test: every error code path (NULL pointers, bad shapes, bad options, bad score
// input, non-finite weights, a short mask, cancellation), progress, input norms from
// calibration inputs, and, for every case
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
  expect_error(bonsai_prune(config, BONSAI_DTYPE_F32, (char *)weights + 1, shape, 2, NULL, NULL,
                            NULL, NULL, 0, NULL, &error),
               &error, BONSAI_ERROR_INVALID_SHAPE, "not aligned");
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

int main(int argc, char **argv) {
  openblas_set_num_threads(3);
  CHECK(strcmp(bonsai_version(), BONSAI_VERSION) == 0, "version %s", bonsai_version());
  option_errors();
  pruning_errors();
  input_norms();
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
