#include "copenblas.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

// cblas.h's enum values, which are part of the CBLAS ABI.
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef char *(*string_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn sgemm;
static string_fn get_config, get_corename;
static const char *failure = "OpenBLAS was not opened";

static void open_library(void) {
    // Read by OpenBLAS's constructor while dlopen runs: no thread pool.
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *lib = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { failure = "OpenBLAS (libopenblas.so.0) is not installed: on Debian, apt-get install libopenblas0"; return; }
    sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    get_config = (string_fn)dlsym(lib, "openblas_get_config");
    get_corename = (string_fn)dlsym(lib, "openblas_get_corename");
    if (!sgemm) failure = "the OpenBLAS library found has no cblas_sgemm";
}

int copenblas_open(const char **why) {
    pthread_once(&once, open_library);
    if (!sgemm && why) *why = failure;
    return sgemm != NULL;
}

void copenblas_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
    sgemm(ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char *copenblas_config(void) { return sgemm && get_config ? get_config() : NULL; }
const char *copenblas_corename(void) { return sgemm && get_corename ? get_corename() : NULL; }
