// A kernel that calls a function kernels may not use: SQLite is in the process (becore's cache
// links it), but not among the libraries JIT code resolves symbols in. Loading it must fail,
// naming the symbol and this file.
extern "C" const char* sqlite3_libversion(void);

// @BE sqlite_version_length
void sqlite_version_length(BE::Tensor& n) {
    const char* version = sqlite3_libversion();
    int64_t length = 0;
    while (version[length] != '\0')
        ++length;
    n.data_ptr<int64_t>()[0] = length;
}
