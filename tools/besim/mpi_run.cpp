// besim run under mpirun (BECORE_MPI): MPI's lifetime around the run and the exchange over
// MPI_COMM_WORLD (becore/frontends/simulator_mpi.h).
#include "besim.h"

#include <becore/frontends/simulator_mpi.h>

namespace besim {
namespace {

struct MpiSession {
    MpiSession() { MPI_Init(nullptr, nullptr); }
    ~MpiSession() { MPI_Finalize(); }
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
};

class WorldExchange final : public be::SpikeExchange {
  public:
    int rank() const override { return inner_.rank(); }
    int size() const override { return inner_.size(); }
    void all_gather(const std::vector<int32_t>& mine, std::vector<int32_t>& all,
                    std::vector<int>& counts) override {
        inner_.all_gather(mine, all, counts);
    }
    void all_gather(const std::vector<double>& mine, std::vector<double>& all,
                    std::vector<int>& counts) override {
        inner_.all_gather(mine, all, counts);
    }
    int64_t sum(int64_t mine) override { return inner_.sum(mine); }

  private:
    MpiSession session_; // first in, last out
    be::MpiExchange inner_{MPI_COMM_WORLD};
};

} // namespace

std::unique_ptr<be::SpikeExchange> world_exchange() {
    return std::make_unique<WorldExchange>();
}

} // namespace besim
