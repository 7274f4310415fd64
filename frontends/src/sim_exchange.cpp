// The exchange of a run in one process, the error words the ranks exchange, and the blocks of
// neurons (sim_exchange.h).
#include "sim_model.h"

#include <becore/frontends/sim_exchange.h>

#include <cstring>

namespace be {

namespace {

class LocalExchange final : public SpikeExchange {
  public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    void all_gather(const std::vector<int32_t>& mine, std::vector<int32_t>& all,
                    std::vector<int>& counts) override {
        all = mine;
        counts.assign(1, static_cast<int>(mine.size()));
    }
    void all_gather(const std::vector<double>& mine, std::vector<double>& all,
                    std::vector<int>& counts) override {
        all = mine;
        counts.assign(1, static_cast<int>(mine.size()));
    }
    int64_t sum(int64_t mine) override { return mine; }
};

} // namespace

void pack_error(const Error* error, std::vector<int32_t>& out) {
    const std::string text = error ? error->message : std::string();
    out.assign(
        {static_cast<int32_t>(text.size()), error ? static_cast<int32_t>(error->code()) : 0});
    out.resize(2 + (text.size() + 3) / 4, 0);
    std::memcpy(out.data() + 2, text.data(), text.size());
}

Error unpack_error(const int32_t* words) {
    return make_error(
        static_cast<ErrorCode>(words[1]),
        std::string(reinterpret_cast<const char*>(words + 2), static_cast<size_t>(words[0])));
}

std::optional<Error> first_error(SpikeExchange& exchange, const Error* mine) {
    std::vector<int32_t> words, all;
    std::vector<int> counts;
    pack_error(mine, words);
    exchange.all_gather(words, all, counts);
    for (size_t q = 0, at = 0; q < counts.size(); at += static_cast<size_t>(counts[q++]))
        if (all[at] != 0) return unpack_error(&all[at]);
    return std::nullopt;
}

std::unique_ptr<SpikeExchange> local_exchange() {
    return std::make_unique<LocalExchange>();
}

int64_t block_first(int64_t n, int size, int rank) {
    const int64_t base = n / size, larger = n % size;
    return rank * base + std::min<int64_t>(rank, larger);
}

} // namespace be
