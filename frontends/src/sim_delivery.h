// The synaptic delivery of simulate() (simulator.cpp): per pathway, the event product of one
// step's spikes into this rank's targets in the input ring, prepared once before the loop.
// Private to frontends/.
#pragma once

#include "sim_model.h"

#include <becore/frontends/event_plan.h>

#include <vector>

namespace be::sim_loop {

HostArray make_array(DType dtype, std::vector<int64_t> shape);
// A view of elements [first, first + count) of a 1-D array (or of row `row` of a 2-D one),
// built in place: the loop makes these every step and must not allocate.
BE::Tensor slice(const HostArray& a, int64_t row, int64_t first, int64_t count, Device device);
void check(const Result<void>& r); // throws the error

// One pathway's delivery into this rank's targets (`local`): a stored pathway's event product,
// or for JITC the window target be.sim_jitc_<kind>_deliver, which generates only the tiles of
// the active rows that overlap this rank's columns (be/jitc.h).
struct Delivery {
    const BuiltPathway* pathway;
    EventMatvecPlan plan; // stored pathways
    PreparedCall jitc;    // JITC pathways
    HostArray scratch;    // empty when direct
    int64_t delay_steps = 1;
    // The kernel writes its output straight into the ring slot (it overwrites its target range
    // there) instead of into `scratch` that is then added: exact when nothing else has written
    // that range of the slot before it (direct_deliveries in sim_delivery.cpp).
    bool direct = false;
};

// The deliveries of m's pathways, in order, for steps of dt ms: delays in steps (at least one),
// kernels prepared for `device` (none for a pathway with no target on this rank), direct flags
// and scratch outputs.
std::vector<Delivery> prepare_deliveries(const Model::Impl& m, double dt, Device device,
                                         DType dtype);

// Delivers step t's spikes (spikes_all: a flag per neuron of the network) through `del` into
// slot (t + delay) % slots of its channel's ring [slots, this rank's neurons]; own_first is the
// rank's first neuron.
void deliver(const Delivery& del, const HostArray& spikes_all, HostArray (&ring)[2], int64_t t,
             int64_t slots, int64_t own_first, Device device);

} // namespace be::sim_loop
