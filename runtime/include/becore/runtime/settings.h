// Process-wide settings, for a program that configures becore explicitly instead of through the
// environment (a long-lived Python process, a host application):
//
//   be::configure({.cache_dir = "/scratch/becore", .threads = 4, .log_sink = my_sink}).value();
//   ... use becore ...
//   be::shutdown();   // kernels unloaded, cache statistics flushed, settings back to the
//   environment
//
// Every setting left unset takes the environment's value (BECORE_CACHE_DIR, BECORE_CACHE,
// BECORE_CACHE_MAX_SIZE, BECORE_KERNEL_PATH, BECORE_LOG, BECORE_THREADS, BECORE_CPU_TARGET), so a
// program that never calls configure() behaves as before. The other variables (BECORE_HOME,
// BECORE_SYSTEM_CACHE, BECORE_CACHE_SALT, the CUDA ones, ...) are read from the environment only.
//
// When each setting takes effect:
//  - cache_dir, disk_cache, cache_max_size and kernel_path are read when the process's registry
//    (Registry::global()) is created; configure() changing one while it exists is an error, so
//    that a setting never seems to apply when it does not: call shutdown() first.
//    KernelCache::open_default() (and cache_max_size: every KernelCache::open) reads them too.
//  - log_level, log_sink, threads and cpu_target apply from the next message, parallel region
//    and load on.
#pragma once

#include <becore/runtime/error.h>
#include <becore/runtime/log.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace be {

struct Settings {
    std::optional<std::filesystem::path> cache_dir; // BECORE_CACHE_DIR (else XDG, ~/.cache)
    std::optional<bool> disk_cache;                 // false: BECORE_CACHE=off (in memory)
    std::optional<uint64_t> cache_max_size;         // bytes; BECORE_CACHE_MAX_SIZE
    std::optional<std::string> kernel_path;         // ':'-separated; BECORE_KERNEL_PATH
    std::optional<LogLevel> log_level;              // BECORE_LOG
    std::optional<int> threads;                     // >= 1; BECORE_THREADS (default all cores)
    std::optional<std::string> cpu_target;          // native, portable, a level; BECORE_CPU_TARGET
    // Where becore's messages go instead of stderr (those log_level lets through). It may be
    // called from several threads at once, and must not call back into becore's logging.
    LogSink log_sink;
};

// Replaces the process's settings (all of them: a field left unset goes back to the
// environment's value). Errors, and nothing changed: a setting out of range (threads < 1, an
// empty cache_dir, an unknown cpu_target), or a registry setting that differs from the one the
// live process registry was created with.
Result<void> configure(const Settings& settings);
// The settings last given to configure() (unset fields: the environment decides).
Settings configured();

// Returns the process to its state at start: the registry of Registry::global() is destroyed
// (its kernels unloaded, static destructors run, the cache's statistics flushed; builtin
// registrations dropped) and the settings are the environment's again, log sink included. The
// next use of the registry creates a new one. References to the old registry, and targets or
// prepared calls taken from it, must not be used afterwards; no other thread may be using becore
// while it runs. Idempotent. Also run at exit, so calling it is needed only to reconfigure or to
// release becore before the caller's own teardown (Python's interpreter, whose log sink would be
// gone by exit).
void shutdown();

namespace detail {
// What the process registry is created with: the configured values, or nullopt where the
// environment decides. Marks them in use until shutdown() (configure() then refuses changes).
Settings acquire_registry_settings();
// Runs `hook` at shutdown() (last added, first run), before the settings are reset. The process
// registry adds the hook that destroys it when it is created.
void on_shutdown(std::function<void()> hook);
} // namespace detail

} // namespace be
