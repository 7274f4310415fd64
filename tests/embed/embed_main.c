/* becore inside a library dlopen'ed with RTLD_LOCAL | RTLD_NOW, as CPython loads extension
 * modules. This program is C, links neither becore nor libstdc++ and exports nothing
 * (no --export-dynamic), so libstdc++, TBB and becore's runtime are only in the library's local
 * scope. JIT-compiled kernels must still find what they call (runtime/src/kernel_symbols.h).
 *   embed_main <library> kernels <embedded.cpp> <parallel_sum.cu>
 *       the .cpp kernel and the .cu one (in the CUDA emulation) equal C references
 *   embed_main <library> outside <outside.cpp>
 *       a kernel calling outside the permitted symbols fails to load, naming the symbol and file */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef int (*call_fn)(const char*, const char*, const long*, int, const double*, double*, long,
                       const double*, char*, unsigned long);
typedef int (*load_fn)(const char*, char*, unsigned long);

static char error[8192];

/* |got - want| <= 1e-12 · max(1, |want|) for every element, else reports the first miss. */
static int compare(const char* what, const double* got, const double* want, long n) {
    for (long i = 0; i < n; ++i) {
        double scale = fabs(want[i]) > 1 ? fabs(want[i]) : 1;
        if (!(fabs(got[i] - want[i]) <= 1e-12 * scale)) {
            fprintf(stderr, "%s: element %ld is %.17g, the reference %.17g\n", what, i, got[i],
                    want[i]);
            return 1;
        }
    }
    printf("%s: %ld elements equal the reference\n", what, n);
    return 0;
}

static int run_kernels(void* library, const char* cpp_file, const char* cu_file) {
    call_fn call = (call_fn)dlsym(library, "embedded_call");
    if (call == NULL) {
        fprintf(stderr, "embedded_call: %s\n", dlerror());
        return 1;
    }
    enum { n = 1000, rows = 7, cols = 300 };
    static double x[n], y[n], want[n], matrix[rows * cols], sums[rows], want_sums[rows];
    const double alpha = 0.75;
    double sum = 0;
    for (long i = 0; i < n; ++i) {
        x[i] = -5.0 + 10.0 * (double)i / n;
        want[i] = sum += alpha * log1p(exp(x[i]));
    }
    long shape[] = {n};
    if (call(cpp_file, "embed.softplus_cumsum", shape, 1, x, y, n, &alpha, error, sizeof error) !=
        0) {
        fprintf(stderr, "embed.softplus_cumsum: %s\n", error);
        return 1;
    }
    int failed = compare("embed.softplus_cumsum (.cpp: std::vector, <cmath>, TBB)", y, want, n);

    for (long r = 0; r < rows; ++r) {
        want_sums[r] = 0;
        for (long c = 0; c < cols; ++c) {
            matrix[r * cols + c] = 0.01 * (double)(r * cols + c) - 3.0;
            want_sums[r] += matrix[r * cols + c];
        }
    }
    long matrix_shape[] = {rows, cols};
    if (call(cu_file, "embed.row_sum", matrix_shape, 2, matrix, sums, rows, NULL, error,
             sizeof error) != 0) {
        fprintf(stderr, "embed.row_sum: %s\n", error);
        return 1;
    }
    return failed | compare("embed.row_sum (.cu in the CUDA emulation)", sums, want_sums, rows);
}

static int run_outside(void* library, const char* file) {
    load_fn load = (load_fn)dlsym(library, "embedded_load");
    if (load == NULL) {
        fprintf(stderr, "embedded_load: %s\n", dlerror());
        return 1;
    }
    if (load(file, error, sizeof error) == 0) {
        fprintf(stderr, "outside.cpp loaded, but it calls sqlite3_libversion\n");
        return 1;
    }
    printf("the error: %s\n", error);
    if (strstr(error, "sqlite3_libversion") == NULL || strstr(error, "outside.cpp") == NULL ||
        strstr(error, "may not use") == NULL) {
        fprintf(stderr, "the error does not name the symbol and the file\n");
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) {
    int kernels = argc == 5 && strcmp(argv[2], "kernels") == 0;
    if (!kernels && !(argc == 4 && strcmp(argv[2], "outside") == 0)) {
        fprintf(stderr, "usage: embed_main <library> kernels <.cpp> <.cu> | outside <.cpp>\n");
        return 2;
    }
    void* library = dlopen(argv[1], RTLD_LOCAL | RTLD_NOW);
    if (library == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    /* Nothing of becore or libstdc++ may be global, or the test proves nothing. */
    if (dlsym(RTLD_DEFAULT, "_Znwm") != NULL || dlsym(RTLD_DEFAULT, "becore_emu_abort") != NULL) {
        fprintf(stderr, "libstdc++ or becore's runtime is in the global scope\n");
        return 1;
    }
    return kernels ? run_kernels(library, argv[3], argv[4]) : run_outside(library, argv[3]);
}
