// The simulator on an MPI communicator (docs/scaling.md), for a program that runs its own MPI
// job: link becore::mpi (built when CMake finds MPI, BECORE_MPI) and include this header; a
// program that does not use MPI never includes it and needs no MPI.
//
//   MPI_Init(&argc, &argv);
//   be::Signals s = be::simulate(be::Configuration::preset("brunel2000"), MPI_COMM_WORLD);
//   // every rank holds the whole network's Signals, bitwise those of a run in one process
//   MPI_Finalize();
//
// The communicator's ranks split the neurons into contiguous blocks, in rank order. Errors are
// thrown as be::Exception on every rank alike (a configuration error or a kernel error on one
// rank included), so that no rank is left waiting in a collective.
#pragma once

#include <becore/frontends/sim_exchange.h>

#include <mpi.h>

namespace be {

// A SpikeExchange over `comm` (MPI_Allgatherv in rank order, MPI_Allreduce). MPI must be
// initialised, and `comm` outlive the exchange.
class MpiExchange final : public SpikeExchange {
  public:
    explicit MpiExchange(MPI_Comm comm);
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    void all_gather(const std::vector<int32_t>& mine, std::vector<int32_t>& all,
                    std::vector<int>& counts) override;
    void all_gather(const std::vector<double>& mine, std::vector<double>& all,
                    std::vector<int>& counts) override;
    int64_t sum(int64_t mine) override;

  private:
    MPI_Comm comm_;
    int rank_ = 0, size_ = 1;
    std::vector<int> offsets_;
};

// construct + simulate across the ranks of `comm`: a collective.
Signals simulate(const Configuration& configuration, MPI_Comm comm,
                 const SimulateOptions& options = {});

} // namespace be
