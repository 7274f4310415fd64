// becore_probe: loads the given kernel files through the process's global registry (so the
// environment decides the cache and BECORE_KERNEL_PATH) and prints one JSON line describing
// what the process did: targets registered, cache hits and compiles, whether libclang-cpp and
// libnvrtc were mapped (read from /proc/self/maps). Tests run it as a fresh process.
#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/threads.h>

#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    auto& registry = be::Registry::global();
    int hits = 0, compiled = 0, failed = 0, deferred = 0;
    for (int i = 1; i < argc; ++i) {
        auto report = registry.load_file(argv[i]);
        if (!report) {
            ++failed;
            std::cerr << report.error().full() << "\n";
        } else if (report->deferred) {
            ++deferred; // a .cu file without a CUDA architecture: registered, not compiled
        } else if (report->cache_hit) {
            ++hits;
        } else {
            ++compiled;
        }
    }
    std::ifstream maps("/proc/self/maps");
    std::string line;
    bool clang_mapped = false, nvrtc_mapped = false;
    while (std::getline(maps, line)) {
        clang_mapped |= line.find("libclang-cpp") != std::string::npos;
        nvrtc_mapped |= line.find("libnvrtc") != std::string::npos;
    }
    std::cout << "{\"hits\": " << hits << ", \"compiled\": " << compiled
              << ", \"failed\": " << failed << ", \"deferred\": " << deferred
              << ", \"clang_mapped\": " << (clang_mapped ? "true" : "false")
              << ", \"nvrtc_mapped\": " << (nvrtc_mapped ? "true" : "false")
              << ", \"threads\": " << be::active_thread_limit() << ", \"targets\": [";
    auto names = registry.names();
    for (size_t i = 0; i < names.size(); ++i) std::cout << (i ? ", " : "") << "\"" << names[i] << "\"";
    std::cout << "]}" << std::endl;
    return failed == 0 ? 0 : 1;
}
