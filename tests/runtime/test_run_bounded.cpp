// run_bounded (runtime/threads.h): what bounds how many kernel files compile at once.
#include <becore/runtime/log.h>
#include <becore/runtime/threads.h>

#include <gtest/gtest.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace be {
namespace {

int expected_limit() {
    return configured_threads() > 0 ? configured_threads() : tbb::info::default_concurrency();
}

TEST(RunBounded, RunsEveryTaskOnceAndNeverMoreAtOnceThanTheLimit) {
    constexpr size_t k_tasks = 64;
    std::vector<std::atomic<int>> runs(k_tasks);
    std::atomic<int> running{0}, most{0};
    run_bounded(k_tasks, [&](size_t i) {
        const int now = ++running;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        ++runs[i];
        --running;
    });
    for (size_t i = 0; i < k_tasks; ++i)
        EXPECT_EQ(runs[i].load(), 1) << "task " << i;
    EXPECT_GE(most.load(), 1);
    EXPECT_LE(most.load(), expected_limit());
}

TEST(RunBounded, NoTasksAndOneTaskRunOnTheCallingThread) {
    run_bounded(0, [](size_t) { ADD_FAILURE() << "no task to run"; });
    std::thread::id ran_on;
    run_bounded(1, [&](size_t) { ran_on = std::this_thread::get_id(); });
    EXPECT_EQ(ran_on, std::this_thread::get_id());
}

// Every task holds one lock while it waits for a tbb::parallel_for of its own (as a kernel's
// static constructor may while its file loads). A thread waiting in that parallel_for must not
// pick up another task, which would take the same lock on the same thread and never return.
TEST(RunBounded, TaskWaitingForItsOwnTbbWorkDoesNotTakeAnotherTask) {
    std::mutex lock;
    std::atomic<long> sum{0};
    constexpr size_t k_tasks = 16;
    run_bounded(k_tasks, [&](size_t) {
        std::lock_guard held(lock);
        tbb::parallel_for(0, 2000, [&](int i) { sum += i % 7; });
    });
    long per_task = 0;
    for (int i = 0; i < 2000; ++i)
        per_task += i % 7;
    EXPECT_EQ(sum.load(), per_task * static_cast<long>(k_tasks));
}

TEST(LogCapture, KeepsTheThreadsMessagesUntilTakenAndNests) {
    std::vector<LoggedMessage> outer_messages, inner_messages;
    {
        LogCapture outer;
        log_warn("first");
        {
            LogCapture inner;
            log_warn("inner");
            inner_messages = inner.take();
        }
        log_warn("second");
        outer_messages = outer.take();
    }
    ASSERT_EQ(inner_messages.size(), 1u);
    EXPECT_EQ(inner_messages[0].text, "inner");
    ASSERT_EQ(outer_messages.size(), 2u);
    EXPECT_EQ(outer_messages[0].text, "first");
    EXPECT_EQ(outer_messages[1].text, "second");
    EXPECT_EQ(outer_messages[1].level, LogLevel::warn);
}

} // namespace
} // namespace be
