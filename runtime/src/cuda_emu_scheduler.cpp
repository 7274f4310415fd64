// The CUDA emulation's scheduler: emulate_launch and the C interface that emulated kernels call
// (kernels/include/be/cuda_emu_abi.h). The model is described in becore/runtime/cuda_emu.h.
//
// What it relies on under the ORC JIT (ELFNix platform), checked with a probe before writing it
// (a JIT object run from a host program, LLVM 16): C++ exceptions thrown and caught inside JIT
// code work on a foreign stack (ucontext and this file's switch alike), as does a host exception
// thrown through JIT frames on such a stack; function-local statics (guarded dynamic init) work;
// `thread_local` in JIT code works too (distinct per OS thread, initialised), but the emulation
// does not need it: JIT code reaches its thread's state through becore_emu_current_thread, and
// `__shared__` is a plain static because launches are serialised. The tests keep these
// guarantees checked (EmuKernels.*, EmuErrors.*).
//
// Scheduling: each pass runs every ready thread of the block, in linear order, until it blocks
// (barrier, warp rendezvous), yields or exits. A pass in which no thread could run while some are
// unfinished is a deadlock, reported with what each thread waits for.
#include "cuda_emu_fiber.h"

#include <becore/runtime/cuda_emu.h>

#include <be/cuda_emu_abi.h>
#include <be/entry.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

namespace be {
namespace {

constexpr unsigned k_warp_size = 32;

enum class State : uint8_t { ready, waiting, finished };
enum class Wait : uint8_t { none, barrier, warp };

// One warp intrinsic call awaited by the lanes of `mask`. Owned by the launch's pool; back on its
// free list once every participant has copied the values out (`readers`).
struct Rendezvous {
    const char* op = nullptr;
    unsigned mask = 0;
    unsigned arrived = 0;
    unsigned line = 0;
    int readers = 0;
    unsigned long long values[k_warp_size] = {};
};

struct Thread {
    becore_emu_thread info{};
    emu::FiberContext context;
    emu::FiberStack* stack = nullptr;
    State state = State::ready;
    Wait wait = Wait::none;
    unsigned line = 0;
    int barrier_op = 0;
    int barrier_result = 0;
    Rendezvous* rendezvous = nullptr; // while waiting in a warp intrinsic
};

struct Warp {
    unsigned exists = 0; // lanes < blockDim's thread count
    unsigned exited = 0;
    std::vector<Rendezvous*> pending;
    unsigned live() const { return exists & ~exited; }
};

struct Launch {
    std::string kernel;
    EmuLaunch geometry;
    EmuKernelBody body = nullptr;
    void* const* params = nullptr;
    std::vector<Thread> threads; // of the running block, by linear index
    std::vector<Warp> warps;
    emu::FiberContext scheduler;
    Thread* current = nullptr;
    std::optional<std::string> error;
    std::vector<std::unique_ptr<Rendezvous>> rendezvous_pool;
    std::vector<Rendezvous*> free_rendezvous;
    unsigned exited = 0;
    unsigned barrier_waiting = 0;
    int barrier_count = 0; // arrivals with a non-zero predicate
};

std::mutex g_launch_mutex;                              // one launch at a time in the process
std::vector<std::unique_ptr<emu::FiberStack>> g_stacks; // reused by every launch
alignas(256) unsigned char g_dynamic_shared[k_emu_max_dynamic_shared_bytes];
thread_local Launch* t_launch = nullptr; // the launch this OS thread runs, if any

std::atomic<uint64_t> g_launches{0}, g_blocks{0}, g_threads{0}, g_switches{0};

std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* pattern, ...) {
    char buffer[512];
    va_list args;
    va_start(args, pattern);
    std::vsnprintf(buffer, sizeof buffer, pattern, args);
    va_end(args);
    return buffer;
}

std::string coordinates(const becore_emu_uint3& v) {
    return format("(%u,%u,%u)", v.x, v.y, v.z);
}

Launch& running(const char* function) {
    if (t_launch == nullptr || t_launch->current == nullptr) {
        std::fprintf(stderr, "becore: %s called outside an emulated CUDA kernel\n", function);
        std::abort();
    }
    return *t_launch;
}

// Back to the scheduler; returns when the scheduler resumes this thread.
void suspend(Launch& launch, Thread& thread) {
    emu::fiber_switch(thread.context, launch.scheduler);
}

void record_error(Launch& launch, const Thread& thread, const std::string& message) {
    if (launch.error) return;
    launch.error = "emulate_launch(" + launch.kernel + "): block " +
                   coordinates(thread.info.block_idx) + " thread " +
                   coordinates(thread.info.thread_idx) + ": " + message;
}

// Nothing on the failing fiber's frames is ever destroyed (it is not resumed), so `message` is
// released here and callers build it in a statement of its own, leaving no other temporaries
// alive across the call; LeakSanitizer found both leaking, once per failed launch.
[[noreturn]] void fail_thread(Launch& launch, Thread& thread, std::string&& message) {
    record_error(launch, thread, message);
    std::string().swap(message);
    thread.state = State::finished;
    emu::fiber_exit(thread.context, launch.scheduler); // the scheduler stops the launch
}

void release_barrier(Launch& launch) {
    const int count = launch.barrier_count, all = count == int(launch.barrier_waiting);
    for (Thread& t : launch.threads) {
        if (t.wait != Wait::barrier) continue;
        t.barrier_result = t.barrier_op == 1   ? count
                           : t.barrier_op == 2 ? all
                           : t.barrier_op == 3 ? count > 0
                                               : 0;
        t.wait = Wait::none;
        t.state = State::ready;
    }
    launch.barrier_waiting = 0;
    launch.barrier_count = 0;
}

bool barrier_complete(const Launch& launch) {
    return launch.barrier_waiting > 0 &&
           launch.barrier_waiting + launch.exited == launch.threads.size();
}

// Completes `r` if every non-exited lane of its mask has arrived: wakes its lanes.
bool try_complete(Launch& launch, unsigned warp_index, Rendezvous* r) {
    Warp& warp = launch.warps[warp_index];
    const unsigned needed = r->mask & warp.live();
    if ((r->arrived & needed) != needed) return false;
    std::erase(warp.pending, r);
    r->readers = __builtin_popcount(r->arrived);
    for (unsigned lane = 0; lane < k_warp_size; ++lane) {
        if (((r->arrived >> lane) & 1u) == 0) continue;
        Thread& t = launch.threads[warp_index * k_warp_size + lane];
        if (t.wait == Wait::warp) {
            t.wait = Wait::none;
            t.state = State::ready;
        }
    }
    return true;
}

void on_exit(Launch& launch, Thread& thread) {
    thread.state = State::finished;
    ++launch.exited;
    Warp& warp = launch.warps[thread.info.warp];
    warp.exited |= 1u << thread.info.lane;
    for (auto pending = warp.pending; const auto& r : pending)
        try_complete(launch, thread.info.warp, r);
    if (barrier_complete(launch)) release_barrier(launch);
}

// Every fiber starts here, on its own stack.
[[noreturn]] void thread_main() {
    Launch& launch = *t_launch;
    emu::fiber_start(launch.scheduler);
    Thread& thread = *launch.current;
    char message[2048] = {};
    BE::detail::ErrorSink sink{message, sizeof message};
    if (launch.body(launch.params, &sink) != 0) record_error(launch, thread, message);
    on_exit(launch, thread);
    emu::fiber_exit(thread.context, launch.scheduler);
}

std::string lane_list(unsigned mask) {
    std::string text;
    for (unsigned lane = 0; lane < k_warp_size; ++lane) {
        if (((mask >> lane) & 1u) == 0) continue;
        unsigned last = lane;
        while (last + 1 < k_warp_size && ((mask >> (last + 1)) & 1u))
            ++last;
        text += (text.empty() ? "" : ",") +
                (last == lane ? format("%u", lane) : format("%u-%u", lane, last));
        lane = last;
    }
    return text;
}

std::string wait_description(const Launch& launch, const Thread& t) {
    if (t.wait == Wait::barrier) return format("wait at __syncthreads (line %u)", t.line);
    const Rendezvous& r = *t.rendezvous;
    const unsigned missing = r.mask & launch.warps[t.info.warp].live() & ~r.arrived;
    return format("wait in %s (line %u, mask 0x%08x) for lane%s %s of warp %u", r.op, r.line,
                  r.mask, __builtin_popcount(missing) == 1 ? "" : "s", lane_list(missing).c_str(),
                  t.info.warp);
}

// "deadlock in block (0,0,0): thread (0,0,0) wait at ...; threads (1,0,0)..(31,0,0) wait in ..."
std::string deadlock_message(const Launch& launch) {
    std::string text;
    const auto& threads = launch.threads;
    for (size_t i = 0; i < threads.size();) {
        if (threads[i].state != State::waiting) {
            ++i;
            continue;
        }
        const std::string what = wait_description(launch, threads[i]);
        size_t j = i + 1;
        while (j < threads.size() && threads[j].state == State::waiting &&
               wait_description(launch, threads[j]) == what)
            ++j;
        const std::string first = coordinates(threads[i].info.thread_idx);
        text +=
            (text.empty() ? "" : "; ") +
            (j == i + 1 ? "thread " + first
                        : "threads " + first + ".." + coordinates(threads[j - 1].info.thread_idx)) +
            " " + what;
        i = j;
    }
    return "emulate_launch(" + launch.kernel + "): deadlock in block " +
           coordinates(threads.front().info.block_idx) + ": " + text;
}

void prepare_block(Launch& launch, const becore_emu_uint3& block_idx) {
    const EmuDim3 b = launch.geometry.block, g = launch.geometry.grid;
    const size_t n = launch.threads.size();
    for (unsigned i = 0; i < n; ++i) {
        Thread& t = launch.threads[i];
        t.info.thread_idx = {i % b.x, i / b.x % b.y, i / (b.x * b.y)};
        t.info.block_idx = block_idx;
        t.info.block_dim = {b.x, b.y, b.z};
        t.info.grid_dim = {g.x, g.y, g.z};
        t.info.linear = i;
        t.info.lane = i % k_warp_size;
        t.info.warp = i / k_warp_size;
        t.state = State::ready;
        t.wait = Wait::none;
        t.rendezvous = nullptr;
        t.stack = g_stacks[i].get();
        emu::fiber_prepare(t.context, *t.stack, thread_main);
    }
    for (size_t w = 0; w < launch.warps.size(); ++w) {
        const size_t lanes = std::min<size_t>(k_warp_size, n - w * k_warp_size);
        Warp& warp = launch.warps[w];
        warp.exists = lanes == k_warp_size ? ~0u : (1u << lanes) - 1;
        warp.exited = 0;
        warp.pending.clear();
    }
    // Rendezvous still in use belong to threads of an abandoned block; none are after a success.
    launch.free_rendezvous.clear();
    for (const auto& r : launch.rendezvous_pool)
        launch.free_rendezvous.push_back(r.get());
    launch.exited = 0;
    launch.barrier_waiting = 0;
    launch.barrier_count = 0;
    std::memset(g_dynamic_shared, 0xff, launch.geometry.dynamic_shared_bytes);
}

void run_block(Launch& launch) {
    for (;;) {
        bool ran = false, unfinished = false;
        for (Thread& t : launch.threads) {
            if (t.state == State::finished) continue;
            unfinished = true;
            if (t.state != State::ready) continue;
            ran = true;
            launch.current = &t;
            g_switches.fetch_add(1, std::memory_order_relaxed);
            emu::fiber_switch(launch.scheduler, t.context);
            launch.current = nullptr;
            if (launch.error) return;
        }
        if (!unfinished) return;
        if (!ran) {
            launch.error = deadlock_message(launch);
            return;
        }
    }
}

std::optional<std::string> invalid_configuration(const EmuLaunch& l) {
    const EmuDim3 b = l.block, g = l.grid;
    const uint64_t threads = uint64_t(b.x) * b.y * b.z;
    if (b.x == 0 || b.y == 0 || b.z == 0 || g.x == 0 || g.y == 0 || g.z == 0)
        return format("a grid or block dimension is 0 (grid (%u,%u,%u), block (%u,%u,%u))", g.x,
                      g.y, g.z, b.x, b.y, b.z);
    if (threads > k_emu_max_threads_per_block || b.z > k_emu_max_block_z)
        return format("block (%u,%u,%u) exceeds CUDA's limits (%u threads, z <= %u)", b.x, b.y, b.z,
                      k_emu_max_threads_per_block, k_emu_max_block_z);
    if (g.x > 0x7fffffffu || g.y > k_emu_max_grid_yz || g.z > k_emu_max_grid_yz)
        return format("grid (%u,%u,%u) exceeds CUDA's limits", g.x, g.y, g.z);
    if (l.dynamic_shared_bytes > k_emu_max_dynamic_shared_bytes)
        return format("%zu bytes of dynamic shared memory exceed the maximum of %zu",
                      l.dynamic_shared_bytes, k_emu_max_dynamic_shared_bytes);
    return std::nullopt;
}

} // namespace

Result<void> emulate_launch(const EmuLaunch& geometry, std::string_view kernel_name,
                            EmuKernelBody body, void* const* params) {
    const std::string op = "emulate_launch(" + std::string(kernel_name) + "): ";
    if (t_launch != nullptr)
        return make_error(ErrorCode::kernel_failed,
                          op + "called from inside an emulated kernel (dynamic parallelism is "
                               "not supported)");
    if (body == nullptr) return make_error(ErrorCode::invalid_argument, op + "no kernel body");
    if (auto problem = invalid_configuration(geometry))
        return make_error(ErrorCode::invalid_argument,
                          op + "invalid launch configuration: " + *problem);

    std::lock_guard lock(g_launch_mutex);
    const EmuDim3 b = geometry.block, g = geometry.grid;
    const size_t n = size_t(b.x) * b.y * b.z;
    while (g_stacks.size() < n)
        g_stacks.push_back(std::make_unique<emu::FiberStack>(k_emu_fiber_stack_bytes));

    Launch launch;
    launch.kernel = std::string(kernel_name);
    launch.geometry = geometry;
    launch.body = body;
    launch.params = params;
    launch.threads.resize(n);
    launch.warps.resize((n + k_warp_size - 1) / k_warp_size);
    struct Running { // t_launch names `launch` for exactly its lifetime
        explicit Running(Launch* l) { t_launch = l; }
        ~Running() { t_launch = nullptr; }
    } scope(&launch);
    g_launches.fetch_add(1, std::memory_order_relaxed);
    for (unsigned z = 0; z < g.z && !launch.error; ++z)
        for (unsigned y = 0; y < g.y && !launch.error; ++y)
            for (unsigned x = 0; x < g.x && !launch.error; ++x) {
                prepare_block(launch, {x, y, z});
                g_blocks.fetch_add(1, std::memory_order_relaxed);
                g_threads.fetch_add(n, std::memory_order_relaxed);
                run_block(launch);
            }
    if (launch.error) return make_error(ErrorCode::kernel_failed, *launch.error);
    return {};
}

bool in_emulated_launch() {
    return t_launch != nullptr;
}

EmuStats emulation_stats() {
    return {g_launches.load(), g_blocks.load(), g_threads.load(), g_switches.load()};
}

} // namespace be

// ---- the C interface of be/cuda_emu_abi.h
// --------------------------------------------------------

using be::Launch;
using be::Thread;

extern "C" const becore_emu_thread* becore_emu_current_thread(void) {
    return &be::running(__func__).current->info;
}

extern "C" int becore_emu_syncthreads(int op, int predicate, unsigned int line) {
    Launch& launch = be::running(__func__);
    Thread& thread = *launch.current;
    ++launch.barrier_waiting;
    launch.barrier_count += predicate != 0;
    thread.wait = be::Wait::barrier;
    thread.barrier_op = op;
    thread.line = line;
    if (be::barrier_complete(launch)) {
        be::release_barrier(launch); // also sets this thread's result and makes it ready
    } else {
        thread.state = be::State::waiting;
        be::suspend(launch, thread);
    }
    return thread.barrier_result;
}

extern "C" unsigned int becore_emu_warp_gather(const char* op, unsigned int mask,
                                               unsigned long long value, unsigned int line,
                                               unsigned long long* values) {
    Launch& launch = be::running(__func__);
    Thread& thread = *launch.current;
    const unsigned lane = thread.info.lane, warp_index = thread.info.warp;
    be::Warp& warp = launch.warps[warp_index];
    if (((mask >> lane) & 1u) == 0)
        be::fail_thread(launch, thread,
                        be::format("%s (line %u): the mask 0x%08x does not include the calling "
                                   "lane %u",
                                   op, line, mask, lane));
    be::Rendezvous* r = nullptr;
    for (be::Rendezvous* p : warp.pending)
        if (p->mask == mask) r = p;
    if (r && std::strcmp(r->op, op) != 0) {
        std::string message = be::format(
            "%s (line %u) while lanes %s of warp %u wait in %s (line %u) with the same mask "
            "0x%08x: divergent warp intrinsics",
            op, line, be::lane_list(r->arrived).c_str(), warp_index, r->op, r->line, mask);
        be::fail_thread(launch, thread, std::move(message));
    }
    if (!r) {
        if (launch.free_rendezvous.empty()) {
            launch.rendezvous_pool.push_back(std::make_unique<be::Rendezvous>());
            launch.free_rendezvous.push_back(launch.rendezvous_pool.back().get());
        }
        r = launch.free_rendezvous.back();
        launch.free_rendezvous.pop_back();
        r->arrived = 0;
        r->op = op;
        r->mask = mask;
        r->line = line;
        warp.pending.push_back(r);
    }
    r->values[lane] = value;
    r->arrived |= 1u << lane;
    if (!be::try_complete(launch, warp_index, r)) {
        thread.state = be::State::waiting;
        thread.wait = be::Wait::warp;
        thread.line = line;
        thread.rendezvous = r;
        be::suspend(launch, thread);
        thread.rendezvous = nullptr;
    }
    const unsigned participants = r->arrived;
    for (unsigned l = 0; l < be::k_warp_size; ++l)
        if ((participants >> l) & 1u) values[l] = r->values[l];
    if (--r->readers == 0) launch.free_rendezvous.push_back(r);
    return participants;
}

extern "C" unsigned int becore_emu_active_mask(void) {
    Launch& launch = be::running(__func__);
    return launch.warps[launch.current->info.warp].live();
}

extern "C" void becore_emu_yield(void) {
    Launch& launch = be::running(__func__);
    be::suspend(launch, *launch.current); // stays ready: runs again in the next pass
}

extern "C" void* becore_emu_dynamic_shared(void) {
    return be::g_dynamic_shared;
}

extern "C" void becore_emu_abort(const char* message) {
    Launch& launch = be::running(__func__);
    be::fail_thread(launch, *launch.current, message);
}
