// One simulation split across processes (docs/scaling.md): the neurons are cut into `size()`
// contiguous blocks; the process of rank r integrates block r and owns the incoming synapses of
// its neurons, and the processes share their spikes through a SpikeExchange once per minimum
// delay. This header knows no MPI: becore/frontends/simulator_mpi.h implements the exchange
// over a communicator; a single process uses local_exchange(). Same configuration and seed →
// bitwise the same Signals for any number of ranks, on every rank.
//
//   be::Model part = be::construct(config, exchange);           // this rank's block only
//   be::Signals s = be::simulate(part, options, exchange);      // the whole network's signals
#pragma once

#include <becore/frontends/simulator.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace be {

class SpikeExchange {
  public:
    virtual ~SpikeExchange() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Every rank's `mine` concatenated in rank order, on every rank; `counts` gets each rank's
    // length. A collective: every rank calls it the same number of times.
    virtual void all_gather(const std::vector<int32_t>& mine, std::vector<int32_t>& all,
                            std::vector<int>& counts) = 0;
    virtual void all_gather(const std::vector<double>& mine, std::vector<double>& all,
                            std::vector<int>& counts) = 0;
    // The sum over the ranks (a collective).
    virtual int64_t sum(int64_t mine) = 0;
};

// The exchange of a run in one process: rank 0 of 1.
std::unique_ptr<SpikeExchange> local_exchange();

// The first neuron of block `rank` of `size` over n neurons: blocks differ by at most one neuron,
// the larger ones first.
int64_t block_first(int64_t n, int size, int rank);

// A collective: the error (message and code) of the lowest rank that has one (`mine` is null on a
// rank without), or nullopt when none has.
std::optional<Error> first_error(SpikeExchange& exchange, const Error* mine);

// construct() for this rank's block: the same validation (every rank fails alike on an invalid
// configuration), connectivity built for the block's targets only. Under more than one rank, a
// pathway whose delay rounds to less than one step is refused (spikes travel once per minimum
// delay). A collective: an error on any rank (say, a configuration that differs) is thrown on
// every rank, with the message of the lowest failing rank.
Model construct(const Configuration& configuration, SpikeExchange& exchange);

// simulate() of a model constructed for `exchange`'s rank. A collective; an exception on one rank
// (a kernel error) is carried to the others at the next exchange, so every rank throws it.
Signals simulate(const Model& model, const SimulateOptions& options, SpikeExchange& exchange);

} // namespace be
