// simulate(): the time-step loop. Everything the loop calls is prepared before it (targets
// resolved, attrs converted), and the loop allocates nothing but the growing spike record and
// the exchange buffers. This rank integrates its block of neurons (all of them in one process);
// steps 4 and 5 run once per interval of the shortest delay, after the ranks have exchanged the
// interval's spikes (see "the loop" below and docs/scaling.md).
//
// One step t (docs/simulator.md):
//   1. inputs: each Poisson / noise input adds this step's draws to slot t of the input ring;
//   2. the neuron target integrates with in_e / in_i = slot t and writes this step's spikes;
//   3. slot t is cleared (it becomes slot t + S, S = longest delay + 1);
//   4. spikes are compacted into (time, id) and the probes recorded;
//   5. each pathway whose source spiked delivers spikes @ M into slot t + delay (this rank's
//      targets only: sim_delivery.h).
// Delays are at least one step, so a spike never acts within the step that emitted it.
#include "sim_delivery.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/readouts.h>
#include <becore/frontends/runtime_report.h>
#include <becore/frontends/sim_exchange.h>

#include <be/sim_rng.h>

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

namespace be {

using namespace sim_loop;

namespace {

[[noreturn]] void fail(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, "simulate: " + message));
}

template <typename T> double value_at(const HostArray& a, int64_t i) {
    return static_cast<double>(a.data_as<T>()[i]);
}

double as_double(const HostArray& a, int64_t i) {
    switch (a.dtype()) {
    case DType::float32:
        return value_at<float>(a, i);
    case DType::float64:
        return value_at<double>(a, i);
    case DType::int32:
        return value_at<int32_t>(a, i);
    default:
        return 0;
    }
}

void store(HostArray& a, int64_t i, double v) {
    switch (a.dtype()) {
    case DType::float32:
        a.data_as<float>()[i] = static_cast<float>(v);
        break;
    case DType::float64:
        a.data_as<double>()[i] = v;
        break;
    case DType::int32:
        a.data_as<int32_t>()[i] = static_cast<int32_t>(std::llround(v));
        break;
    default:
        break;
    }
}

struct InputCall {
    PreparedCall call;
    NeuronRange range;
    int channel = 0;
};

// The synaptic current of every neuron after the step, the source of the LFP proxy: the
// current-based models' i_e + i_i, the conductance-based model's g_e (E_exc - v) +
// g_i (E_inh - v), Izhikevich's input of the step, a custom model's state `i_syn`.
struct SynapticCurrent {
    std::string family;
    int v = -1, a = -1, b = -1, i_syn = -1;
    double e_exc = 0, e_inh = 0;

    void compute(const std::vector<HostArray>& state, const HostArray& in_e_ring,
                 const HostArray& in_i_ring, int64_t slot, std::vector<double>& out) const {
        const int64_t n = static_cast<int64_t>(out.size());
        for (int64_t i = 0; i < n; ++i) {
            double value;
            if (family == "lif_coba")
                value = as_double(state[a], i) * (e_exc - as_double(state[v], i)) +
                        as_double(state[b], i) * (e_inh - as_double(state[v], i));
            else if (family == "lif_cuba")
                value = as_double(state[a], i) + as_double(state[b], i);
            else if (family == "izhikevich")
                value = as_double(in_e_ring, slot * n + i) + as_double(in_i_ring, slot * n + i);
            else
                value = as_double(state[i_syn], i);
            out[static_cast<size_t>(i)] = value;
        }
    }
};

int index_of(const std::vector<std::string>& names, const std::string& name) {
    auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

} // namespace

Signals simulate(const Model& model, const SimulateOptions& options) {
    return simulate(model, options, *local_exchange());
}

Signals simulate(const Model& model, const SimulateOptions& options, SpikeExchange& exchange) {
    const Model::Impl& m = model.impl();
    const ConfigurationData& d = m.configuration.data();
    if (exchange.rank() != m.rank || exchange.size() != m.ranks)
        fail("the model was constructed for rank " + std::to_string(m.rank) + " of " +
             std::to_string(m.ranks) + ", the exchange is rank " + std::to_string(exchange.rank()) +
             " of " + std::to_string(exchange.size()));
    const double dt = options.dt_ms.value_or(d.dt_ms);
    const double duration = options.duration_ms.value_or(d.duration_ms);
    const uint64_t seed = options.seed.value_or(d.runtime.seed);
    if (!(dt > 0) || !std::isfinite(dt)) fail("dt_ms must be a positive number of ms");
    if (!(duration >= 0) || !std::isfinite(duration)) fail("duration_ms must be >= 0");
    const int64_t steps = std::llround(duration / dt);
    if (!whole_steps(duration, dt))
        fail("duration_ms " + std::to_string(duration) + " is not a whole number of steps of " +
             std::to_string(dt) + " ms");
    if (steps >= (int64_t{1} << 32)) fail("at most 2^32 - 1 steps");
    const Device device = d.runtime.device;
    if (device != Device::cpu && device != Device::cuda_emu)
        fail("device " + std::string(device_name(device)) +
             " is not supported by the simulator yet (cpu or cuda-emu)");
    const DType dtype = d.runtime.dtype;
    const int64_t n = m.n;
    const int ranks = m.ranks;
    const NeuronRange own = m.own; // the neurons this rank integrates: local index i - own.first
    const int64_t local_n = own.count;

    tbb::task_arena arena(d.runtime.threads > 0 ? d.runtime.threads : tbb::task_arena::automatic);
    Signals signals;
    arena.execute([&] {
        Registry& registry = builtin_registry();
        const auto& probes = d.probes;
        const auto probed = [&](const char* name) {
            return std::find(probes.begin(), probes.end(), name) != probes.end();
        };

        // ---- state, parameters and the input ring (this rank's neurons) ----
        std::vector<HostArray> state;
        for (size_t s = 0; s < m.model.state.size(); ++s)
            state.push_back(make_array(m.model.state_dtypes[s], {local_n}));
        const auto owned = [&](NeuronRange r) {
            const int64_t first = std::max(r.first, own.first);
            return NeuronRange{
                first,
                std::max<int64_t>(0, std::min(r.first + r.count, own.first + own.count) - first)};
        };
        for (size_t p = 0; p < m.population_names.size(); ++p) {
            auto spec = d.initial.find(m.population_names[p]);
            if (spec == d.initial.end()) continue;
            const NeuronRange range = owned(m.populations[p]);
            for (const auto& [name, v] : spec->second) {
                const int s = index_of(m.model.state, name);
                for (int64_t i = range.first; i < range.first + range.count; ++i) {
                    be_jitc::KeyedDraws draws(seed, be_jitc::k_stream_initial_state + s,
                                              static_cast<uint64_t>(i), 0);
                    const double r = draws.uniform();
                    store(state[s], i - own.first,
                          neuron_value(v, r, v.stddev != 0 ? draws.normal() : 0.0));
                }
            }
        }
        // Izhikevich starts at u = b v unless told otherwise (the paper's program).
        if (m.model.family == "izhikevich") {
            const int u = index_of(m.model.state, "u"), v = index_of(m.model.state, "v");
            const int b = index_of(m.model.params, "b");
            for (size_t p = 0; p < m.population_names.size(); ++p) {
                auto spec = d.initial.find(m.population_names[p]);
                if (spec != d.initial.end() && spec->second.count("u")) continue;
                const NeuronRange range = owned(m.populations[p]);
                for (int64_t i = range.first; i < range.first + range.count; ++i)
                    store(state[u], i - own.first,
                          m.params[b][i - own.first] * as_double(state[v], i - own.first));
            }
        }
        std::vector<HostArray> params;
        for (const auto& values : m.params) {
            HostArray a = make_array(dtype, {local_n});
            for (int64_t i = 0; i < local_n; ++i)
                store(a, i, values[static_cast<size_t>(i)]);
            params.push_back(std::move(a));
        }
        HostArray spikes = make_array(DType::bool_, {local_n});
        // Every rank's spikes of the step being delivered, set from the exchanged ids.
        HostArray spikes_all = make_array(DType::bool_, {n});

        std::vector<Delivery> deliveries = prepare_deliveries(m, dt, device, dtype);
        int64_t max_delay = 1, min_delay = std::numeric_limits<int64_t>::max();
        for (const Delivery& del : deliveries) {
            max_delay = std::max(max_delay, del.delay_steps);
            min_delay = std::min(min_delay, del.delay_steps);
        }
        const int64_t slots = max_delay + 1;
        HostArray ring[2] = {make_array(dtype, {slots, local_n}),
                             make_array(dtype, {slots, local_n})};
        HostArray step_index = make_array(DType::int64, {1});
        // ---- prepared calls ----
        const std::string suffix = dtype == DType::float32 ? "_f32" : "_f64";
        std::vector<InputCall> inputs;
        for (size_t k = 0; k < d.inputs.size(); ++k) {
            const Input& in = d.inputs[k];
            InputCall ic;
            ic.range = owned(m.range_of(in.target));
            ic.channel = in.channel == "i";
            AttrMap attrs{{"seed", static_cast<int64_t>(seed)},
                          {"stream", static_cast<int64_t>(be_jitc::k_stream_input + k)},
                          {"first", ic.range.first}};
            std::string name;
            if (in.kind == "poisson") {
                const double lambda = in.rate_hz * 1e-3 * dt * static_cast<double>(in.sources);
                if (lambda > 500)
                    fail("inputs[" + std::to_string(k) + "] expects more than 500 events per step");
                attrs.emplace("lambda", lambda);
                attrs.emplace("exp_minus_lambda", std::exp(-lambda));
                attrs.emplace("weight", in.weight);
                name = "be.poisson_input" + suffix;
            } else {
                attrs.emplace("mean", in.mean);
                attrs.emplace("stddev", in.stddev);
                name = "be.normal_input" + suffix;
            }
            const DType arg_dtypes[] = {DType::int64};
            const DType ret_dtypes[] = {dtype};
            auto call = registry.prepare(name, device, arg_dtypes, ret_dtypes, attrs);
            if (!call) throw Exception(call.error());
            ic.call = std::move(*call);
            if (ic.range.count > 0) inputs.push_back(std::move(ic));
        }
        AttrMap neuron_attrs = m.model.attrs;
        neuron_attrs["dt"] = dt;
        std::vector<DType> neuron_args(2 + params.size(), dtype), neuron_rets;
        for (const HostArray& s : state)
            neuron_rets.push_back(s.dtype());
        neuron_rets.push_back(DType::bool_);
        auto neuron =
            registry.prepare(m.model.target, device, neuron_args, neuron_rets, neuron_attrs);
        if (!neuron) throw Exception(neuron.error());
        std::vector<BE::Tensor> neuron_arg_views(neuron_args.size()), neuron_ret_views;
        for (size_t p = 0; p < params.size(); ++p)
            neuron_arg_views[2 + p] = slice(params[p], 0, 0, local_n, device);
        for (HostArray& s : state)
            neuron_ret_views.push_back(slice(s, 0, 0, local_n, device));
        neuron_ret_views.push_back(slice(spikes, 0, 0, local_n, device));

        // ---- probes ----
        std::vector<int32_t> recorded = d.recorded;
        if (recorded.empty() && probed("Vm")) {
            const int64_t count = std::min<int64_t>(n, 100);
            for (int64_t k = 0; k < count; ++k)
                recorded.push_back(static_cast<int32_t>(k * n / count));
        }
        const int v_index = index_of(m.model.state, "v");
        const bool probe_vm = probed("Vm");
        if (probe_vm)
            signals.v_m = make_array(dtype, {steps, static_cast<int64_t>(recorded.size())});
        // block[q]: rank q's neurons; recorded_by[q]: the indices into `recorded` it owns.
        std::vector<NeuronRange> block(static_cast<size_t>(ranks));
        std::vector<std::vector<size_t>> recorded_by(static_cast<size_t>(ranks));
        for (int q = 0; q < ranks; ++q) {
            block[q].first = block_first(n, ranks, q);
            block[q].count = block_first(n, ranks, q + 1) - block[q].first;
            for (size_t r = 0; r < recorded.size(); ++r)
                if (recorded[r] >= block[q].first && recorded[r] < block[q].first + block[q].count)
                    recorded_by[q].push_back(r);
        }
        std::optional<LfpProxy> lfp;
        SynapticCurrent current;
        std::vector<double> i_syn, i_syn_all;
        if (probed("LFP-proxy") || probed("CSD-proxy")) {
            lfp.emplace(m.depths, ReadoutOptions{d.contacts, 0.1});
            signals.lfp_proxy = make_array(DType::float64, {steps, d.contacts});
            current.family = m.model.family;
            current.v = v_index;
            if (m.model.family == "lif_coba") {
                current.a = index_of(m.model.state, "g_e");
                current.b = index_of(m.model.state, "g_i");
                current.e_exc = std::get<double>(m.model.attrs.at("e_exc"));
                current.e_inh = std::get<double>(m.model.attrs.at("e_inh"));
            } else if (m.model.family == "lif_cuba") {
                current.a = index_of(m.model.state, "i_e");
                current.b = index_of(m.model.state, "i_i");
            } else {
                current.i_syn = index_of(m.model.state, "i_syn");
            }
            i_syn.resize(static_cast<size_t>(local_n));
            i_syn_all.resize(static_cast<size_t>(n));
        }
        std::vector<int64_t> spikes_per_population(m.populations.size(), 0);
        // The populations' first neurons, ascending (they tile [0, n) in order).
        std::vector<int64_t> population_first;
        for (const NeuronRange& r : m.populations)
            population_first.push_back(r.first);
        std::vector<int64_t> source_active(deliveries.size());
        std::vector<int32_t> fired_ids; // a step's spikes over all ranks, ascending
        fired_ids.reserve(static_cast<size_t>(n));
        double synaptic_events = 0;

        // ---- the loop ----
        // Steps go in intervals of the shortest delay (docs/scaling.md). Within one, every rank
        // integrates its block and queues its spikes (per step: a count, then global ids) and
        // its probe values; then the ranks exchange them in rank order, which is ascending
        // neuron order. The next interval first records the gathered steps and delivers them,
        // step by step and pathway by pathway as one process does: no delivery is due earlier,
        // since every delay spans at least an interval, and every ring slot receives its terms
        // in the same order. The first word a rank sends is 0, or the length of the error that
        // stopped it, whose text follows: then every rank throws that error.
        const int64_t interval = deliveries.empty() ? 1 : min_delay;
        const bool gather_values = probe_vm || lfp;
        std::vector<int32_t> send_ids, all_ids;
        std::vector<double> send_values, all_values;
        std::vector<int> id_counts, value_counts;
        std::vector<size_t> id_at(static_cast<size_t>(ranks)), value_at(id_at);
        const auto start = std::chrono::steady_clock::now();
        const uint8_t* fired = static_cast<const uint8_t*>(spikes.data());
        uint8_t* fired_all = static_cast<uint8_t*>(spikes_all.data());
        const int64_t progress_every = std::max<int64_t>(1, steps / 100);

        const auto run_steps = [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t slot = t % slots;
                step_index.data_as<int64_t>()[0] = t;
                const BE::Tensor step_view = slice(step_index, 0, 0, 1, device);
                for (InputCall& ic : inputs) {
                    BE::Tensor out[] = {slice(ring[ic.channel], slot, ic.range.first - own.first,
                                              ic.range.count, device)};
                    check(ic.call.invoke({&step_view, 1}, out));
                }
                neuron_arg_views[0] = slice(ring[0], slot, 0, local_n, device);
                neuron_arg_views[1] = slice(ring[1], slot, 0, local_n, device);
                check(neuron->invoke(neuron_arg_views, neuron_ret_views));
                if (lfp) current.compute(state, ring[0], ring[1], slot, i_syn);
                for (HostArray& r : ring)
                    std::memset(static_cast<char*>(r.data()) + slot * local_n * dtype_size(dtype),
                                0, static_cast<size_t>(local_n * dtype_size(dtype)));

                // The spike flags eight at a time (one 64-bit load), so that a silent stretch of
                // the network costs one test per eight neurons.
                const size_t count_at = send_ids.size();
                send_ids.push_back(0);
                const auto first = static_cast<int32_t>(own.first);
                int64_t i = 0;
                for (; i + 8 <= local_n; i += 8) {
                    uint64_t flags;
                    std::memcpy(&flags, fired + i, 8);
                    while (flags) {
                        const int byte = __builtin_ctzll(flags) / 8;
                        send_ids.push_back(first + static_cast<int32_t>(i + byte));
                        flags &= ~(0xFFull << (8 * byte));
                    }
                }
                for (; i < local_n; ++i)
                    if (fired[i]) send_ids.push_back(first + static_cast<int32_t>(i));
                send_ids[count_at] = static_cast<int32_t>(send_ids.size() - count_at - 1);
                if (probe_vm)
                    for (size_t r : recorded_by[static_cast<size_t>(m.rank)])
                        send_values.push_back(as_double(state[v_index], recorded[r] - own.first));
                if (lfp) send_values.insert(send_values.end(), i_syn.begin(), i_syn.end());
                if (options.progress && ((t + 1) % progress_every == 0 || t + 1 == steps))
                    options.progress(t + 1, steps);
            }
        };

        // Records the gathered steps [t0, t1) and, with `deliver`, sends them through the
        // pathways into the ring.
        const auto take_steps = [&](int64_t t0, int64_t t1, bool deliver) {
            if (t1 <= t0) return;
            for (size_t q = 0, ids = 0, values = 0; q < id_at.size(); ++q) {
                id_at[q] = ids + 1; // past the error word
                value_at[q] = values;
                ids += static_cast<size_t>(id_counts[q]);
                values += gather_values ? static_cast<size_t>(value_counts[q]) : 0;
            }
            for (int64_t t = t0; t < t1; ++t) {
                fired_ids.clear();
                for (size_t& at : id_at) {
                    const auto count = static_cast<size_t>(all_ids[at]);
                    fired_ids.insert(fired_ids.end(),
                                     all_ids.begin() + static_cast<ptrdiff_t>(at + 1),
                                     all_ids.begin() + static_cast<ptrdiff_t>(at + 1 + count));
                    at += 1 + count;
                }
                const double time = static_cast<double>(t + 1) * dt;
                for (const int32_t id : fired_ids) {
                    signals.spike_times_ms.push_back(time);
                    signals.spike_ids.push_back(id);
                    ++spikes_per_population[static_cast<size_t>(
                        std::upper_bound(population_first.begin(), population_first.end(), id) -
                        population_first.begin() - 1)];
                }
                for (size_t q = 0; q < value_at.size(); ++q) {
                    if (probe_vm)
                        for (size_t r : recorded_by[q])
                            store(signals.v_m,
                                  t * static_cast<int64_t>(recorded.size()) +
                                      static_cast<int64_t>(r),
                                  all_values[value_at[q]++]);
                    if (lfp) {
                        std::copy_n(all_values.begin() + static_cast<ptrdiff_t>(value_at[q]),
                                    block[q].count, i_syn_all.begin() + block[q].first);
                        value_at[q] += static_cast<size_t>(block[q].count);
                    }
                }
                if (lfp)
                    lfp->record(i_syn_all.data(),
                                signals.lfp_proxy.data_as<double>() + t * d.contacts);
                for (const int32_t id : fired_ids)
                    fired_all[id] = 1;
                for (size_t k = 0; k < deliveries.size(); ++k) {
                    Delivery& del = deliveries[k];
                    const BuiltPathway& p = *del.pathway;
                    const int64_t active =
                        std::lower_bound(fired_ids.begin(), fired_ids.end(),
                                         p.source.first + p.source.count) -
                        std::lower_bound(fired_ids.begin(), fired_ids.end(), p.source.first);
                    if (active == 0) continue;
                    synaptic_events += static_cast<double>(active) * p.synapses /
                                       static_cast<double>(p.source.count);
                    if (deliver && p.local.count > 0)
                        sim_loop::deliver(del, spikes_all, ring, t, slots, own.first, device);
                }
                for (const int32_t id : fired_ids)
                    fired_all[id] = 0;
            }
        };

        int64_t done0 = 0, done1 = 0; // the interval gathered last
        for (int64_t t0 = 0; t0 < steps; t0 += interval) {
            const int64_t t1 = std::min(steps, t0 + interval);
            send_ids.assign(1, 0);
            send_values.clear();
            try {
                take_steps(done0, done1, true);
                run_steps(t0, t1);
            } catch (const std::exception& e) {
                if (ranks == 1) throw; // nobody to tell: the error as it is
                const auto* be_error = dynamic_cast<const Exception*>(&e);
                const Error error = make_error(
                    be_error ? be_error->error().code() : ErrorCode::kernel_failed,
                    (be_error ? be_error->error().message : std::string(e.what())) + " (rank " +
                        std::to_string(m.rank) + " of " + std::to_string(ranks) + ")");
                pack_error(&error, send_ids);
            }
            exchange.all_gather(send_ids, all_ids, id_counts);
            if (gather_values) exchange.all_gather(send_values, all_values, value_counts);
            for (size_t q = 0, at = 0; q < id_counts.size();
                 at += static_cast<size_t>(id_counts[q++]))
                if (all_ids[at] != 0) throw Exception(unpack_error(&all_ids[at]));
            done0 = t0;
            done1 = t1;
        }
        take_steps(done0, done1, false);
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        // ---- signals ----
        signals.time_ms.resize(static_cast<size_t>(steps));
        for (int64_t t = 0; t < steps; ++t)
            signals.time_ms[static_cast<size_t>(t)] = static_cast<double>(t + 1) * dt;
        if (probed("Vm")) signals.recorded = recorded;
        if (probed("CSD-proxy")) signals.csd_proxy = csd_proxy(signals.lfp_proxy);
        if (!probed("LFP-proxy")) signals.lfp_proxy = HostArray{};
        nlohmann::json rates = nlohmann::json::object();
        for (size_t p = 0; p < m.populations.size(); ++p) {
            const double seconds = duration * 1e-3;
            rates[m.population_names[p]] =
                seconds > 0 ? static_cast<double>(spikes_per_population[p]) /
                                  (static_cast<double>(m.populations[p].count) * seconds)
                            : 0.0;
        }
        nlohmann::json populations = nlohmann::json::array();
        for (size_t p = 0; p < m.populations.size(); ++p)
            populations.push_back({{"name", m.population_names[p]},
                                   {"first", m.populations[p].first},
                                   {"count", m.populations[p].count}});
        signals.metadata = {{"configuration", m.configuration.to_json()},
                            {"seed", seed},
                            {"dt_ms", dt},
                            {"duration_ms", duration},
                            {"steps", steps},
                            {"neurons", n},
                            {"synapses", model.synapses()},
                            {"populations", populations},
                            {"rates_hz", rates},
                            {"spikes", signals.spike_ids.size()},
                            {"synaptic_events", synaptic_events},
                            {"wall_s", wall},
                            {"real_time_factor", duration > 0 ? wall / (duration * 1e-3) : 0.0},
                            {"threads", tbb::this_task_arena::max_concurrency()},
                            {"ranks", ranks},
                            {"device", std::string(device_name(device))},
                            {"model_status", "computational_scaffold"},
                            {"runtime_report", to_json(runtime_report(registry))}};
    });
    return signals;
}

} // namespace be
