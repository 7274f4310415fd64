// simulate(): the time-step loop. Everything the loop calls is prepared before it (targets
// resolved, attrs converted), and the loop allocates nothing but the growing spike record.
//
// One step t (docs/simulator.md):
//   1. inputs: each Poisson / noise input adds this step's draws to slot t of the input ring;
//   2. the neuron target integrates with in_e / in_i = slot t and writes this step's spikes;
//   3. slot t is cleared (it becomes slot t + S, S = longest delay + 1);
//   4. spikes are compacted into (time, id) and the probes recorded;
//   5. each pathway whose source spiked delivers spikes @ M into slot t + delay.
// Delays are at least one step, so a spike never acts within the step that emitted it.
#include "sim_model.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/event_plan.h>
#include <becore/frontends/readouts.h>
#include <becore/frontends/runtime_report.h>

#include <be/sim_rng.h>

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace be {

namespace {

[[noreturn]] void fail(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, "simulate: " + message));
}

HostArray make_array(DType dtype, std::vector<int64_t> shape) {
    auto array = HostArray::create(dtype, std::move(shape));
    if (!array) throw Exception(array.error());
    return std::move(*array);
}

// A view of elements [first, first + count) of a 1-D array (or of row `row` of a 2-D one),
// built in place: the loop makes these every step and must not allocate.
BE::Tensor slice(const HostArray& a, int64_t row, int64_t first, int64_t count, Device device) {
    const int64_t width = a.ndim() == 2 ? a.shape()[1] : a.shape()[0];
    BE::Tensor t;
    t.data = static_cast<char*>(const_cast<void*>(a.data())) +
             (row * width + first) * dtype_size(a.dtype());
    t.dtype_ = a.dtype();
    t.device_ = device;
    t.rank = 1;
    t.shape[0] = count;
    t.strides[0] = 1;
    return t;
}

void check(const Result<void>& r) {
    if (!r) throw Exception(r.error());
}

template <typename T>
void add_into(const HostArray& from, HostArray& ring, int64_t row, int64_t first) {
    const T* src = from.data_as<T>();
    T* dst = ring.data_as<T>() + row * ring.shape()[1] + first;
    for (int64_t i = 0; i < from.numel(); ++i)
        dst[i] += src[i];
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

struct Delivery {
    const BuiltPathway* pathway;
    EventMatvecPlan plan;
    HostArray scratch; // empty when direct
    int64_t delay_steps = 1;
    // The kernel writes its output straight into the ring slot (it overwrites its target range
    // there) instead of into `scratch` that is then added: exact when nothing else has written
    // that range of the slot before it (see direct_deliveries).
    bool direct = false;
};

// A delivery may overwrite its target range of slot t + delay when that range is still all zero
// there, i.e. no other delivery in the same channel with an overlapping target range writes the
// slot before it: none with a longer delay (it ran at an earlier step) and none with the same
// delay earlier in the list. Inputs add to slot t at step t, after every delivery into it. Then
// 0 + (the kernel's sum) is the sum itself and the direct write equals scratch-then-add bit for
// bit; every other delivery keeps the scratch.
void direct_deliveries(std::vector<Delivery>& deliveries) {
    for (size_t k = 0; k < deliveries.size(); ++k) {
        const BuiltPathway& p = *deliveries[k].pathway;
        bool direct = true;
        for (size_t o = 0; o < deliveries.size() && direct; ++o) {
            if (o == k) continue;
            const BuiltPathway& q = *deliveries[o].pathway;
            const bool overlap = q.channel == p.channel &&
                                 q.target.first < p.target.first + p.target.count &&
                                 p.target.first < q.target.first + q.target.count;
            const bool before = deliveries[o].delay_steps > deliveries[k].delay_steps ||
                                (deliveries[o].delay_steps == deliveries[k].delay_steps && o < k);
            direct = !(overlap && before);
        }
        deliveries[k].direct = direct;
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
    const Model::Impl& m = model.impl();
    const ConfigurationData& d = m.configuration.data();
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

    tbb::task_arena arena(d.runtime.threads > 0 ? d.runtime.threads : tbb::task_arena::automatic);
    Signals signals;
    arena.execute([&] {
        Registry& registry = builtin_registry();
        const auto& probes = d.probes;
        const auto probed = [&](const char* name) {
            return std::find(probes.begin(), probes.end(), name) != probes.end();
        };

        // ---- state, parameters and the input ring ----
        std::vector<HostArray> state;
        for (size_t s = 0; s < m.model.state.size(); ++s)
            state.push_back(make_array(m.model.state_dtypes[s], {n}));
        for (size_t p = 0; p < m.population_names.size(); ++p) {
            auto spec = d.initial.find(m.population_names[p]);
            if (spec == d.initial.end()) continue;
            for (const auto& [name, v] : spec->second) {
                const int s = index_of(m.model.state, name);
                for (int64_t i = m.populations[p].first;
                     i < m.populations[p].first + m.populations[p].count; ++i) {
                    be_jitc::KeyedDraws draws(seed, be_jitc::k_stream_initial_state + s,
                                              static_cast<uint64_t>(i), 0);
                    const double r = draws.uniform();
                    store(state[s], i, neuron_value(v, r, v.stddev != 0 ? draws.normal() : 0.0));
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
                for (int64_t i = m.populations[p].first;
                     i < m.populations[p].first + m.populations[p].count; ++i)
                    store(state[u], i, m.params[b][i] * as_double(state[v], i));
            }
        }
        std::vector<HostArray> params;
        for (const auto& values : m.params) {
            HostArray a = make_array(dtype, {n});
            for (int64_t i = 0; i < n; ++i)
                store(a, i, values[static_cast<size_t>(i)]);
            params.push_back(std::move(a));
        }
        HostArray spikes = make_array(DType::bool_, {n});

        std::vector<Delivery> deliveries;
        int64_t max_delay = 1;
        for (const BuiltPathway& p : m.pathways) {
            Delivery del{&p, {}, {}, 1};
            del.delay_steps = std::max<int64_t>(1, std::llround(p.delay_ms / dt));
            max_delay = std::max(max_delay, del.delay_steps);
            std::visit(
                [&](const auto& conn) {
                    del.plan = prepare_event_matvec(*conn, DType::bool_, false, device);
                },
                p.conn);
            deliveries.push_back(std::move(del));
        }
        direct_deliveries(deliveries);
        for (Delivery& del : deliveries)
            if (!del.direct) del.scratch = make_array(dtype, {del.pathway->target.count});
        const int64_t slots = max_delay + 1;
        HostArray ring[2] = {make_array(dtype, {slots, n}), make_array(dtype, {slots, n})};
        HostArray step_index = make_array(DType::int64, {1});

        // ---- prepared calls ----
        const std::string suffix = dtype == DType::float32 ? "_f32" : "_f64";
        std::vector<InputCall> inputs;
        for (size_t k = 0; k < d.inputs.size(); ++k) {
            const Input& in = d.inputs[k];
            InputCall ic;
            ic.range = m.range_of(in.target);
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
            inputs.push_back(std::move(ic));
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
            neuron_arg_views[2 + p] = slice(params[p], 0, 0, n, device);
        for (HostArray& s : state)
            neuron_ret_views.push_back(slice(s, 0, 0, n, device));
        neuron_ret_views.push_back(slice(spikes, 0, 0, n, device));

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
        std::optional<LfpProxy> lfp;
        SynapticCurrent current;
        std::vector<double> i_syn;
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
            i_syn.resize(static_cast<size_t>(n));
        }
        std::vector<int64_t> spikes_per_population(m.populations.size(), 0);
        std::vector<int64_t> population_of(static_cast<size_t>(n));
        for (size_t p = 0; p < m.populations.size(); ++p)
            for (int64_t i = 0; i < m.populations[p].count; ++i)
                population_of[static_cast<size_t>(m.populations[p].first + i)] =
                    static_cast<int64_t>(p);
        std::vector<int64_t> source_active(deliveries.size());
        std::vector<int32_t> fired_ids; // this step's spikes, ascending
        fired_ids.reserve(static_cast<size_t>(n));
        double synaptic_events = 0;

        // ---- the loop ----
        const auto start = std::chrono::steady_clock::now();
        const uint8_t* fired = static_cast<const uint8_t*>(spikes.data());
        const int64_t progress_every = std::max<int64_t>(1, steps / 100);
        for (int64_t t = 0; t < steps; ++t) {
            const int64_t slot = t % slots;
            step_index.data_as<int64_t>()[0] = t;
            const BE::Tensor step_view = slice(step_index, 0, 0, 1, device);
            for (InputCall& ic : inputs) {
                BE::Tensor out[] = {
                    slice(ring[ic.channel], slot, ic.range.first, ic.range.count, device)};
                check(ic.call.invoke({&step_view, 1}, out));
            }
            neuron_arg_views[0] = slice(ring[0], slot, 0, n, device);
            neuron_arg_views[1] = slice(ring[1], slot, 0, n, device);
            check(neuron->invoke(neuron_arg_views, neuron_ret_views));
            if (lfp) current.compute(state, ring[0], ring[1], slot, i_syn);
            for (HostArray& r : ring)
                std::memset(static_cast<char*>(r.data()) + slot * n * dtype_size(dtype), 0,
                            static_cast<size_t>(n * dtype_size(dtype)));

            const double time = static_cast<double>(t + 1) * dt;
            // The spike flags eight at a time (one 64-bit load), so that a silent stretch of the
            // network costs one test per eight neurons.
            fired_ids.clear();
            int64_t i = 0;
            for (; i + 8 <= n; i += 8) {
                uint64_t flags;
                std::memcpy(&flags, fired + i, 8);
                while (flags) {
                    const int byte = __builtin_ctzll(flags) / 8;
                    fired_ids.push_back(static_cast<int32_t>(i + byte));
                    flags &= ~(0xFFull << (8 * byte));
                }
            }
            for (; i < n; ++i)
                if (fired[i]) fired_ids.push_back(static_cast<int32_t>(i));
            for (const int32_t id : fired_ids) {
                signals.spike_times_ms.push_back(time);
                signals.spike_ids.push_back(id);
                ++spikes_per_population[static_cast<size_t>(
                    population_of[static_cast<size_t>(id)])];
            }
            for (size_t k = 0; k < deliveries.size(); ++k) {
                const NeuronRange& src = deliveries[k].pathway->source;
                source_active[k] =
                    std::lower_bound(fired_ids.begin(), fired_ids.end(), src.first + src.count) -
                    std::lower_bound(fired_ids.begin(), fired_ids.end(), src.first);
            }
            if (probe_vm)
                for (size_t r = 0; r < recorded.size(); ++r)
                    store(signals.v_m,
                          t * static_cast<int64_t>(recorded.size()) + static_cast<int64_t>(r),
                          as_double(state[v_index], recorded[r]));
            if (lfp)
                lfp->record(i_syn.data(), signals.lfp_proxy.data_as<double>() + t * d.contacts);

            for (size_t k = 0; k < deliveries.size(); ++k) {
                if (source_active[k] == 0) continue;
                Delivery& del = deliveries[k];
                const BuiltPathway& p = *del.pathway;
                const BE::Tensor src = slice(spikes, 0, p.source.first, p.source.count, device);
                const int64_t target_slot = (t + del.delay_steps) % slots;
                if (del.direct) {
                    BE::Tensor out =
                        slice(ring[p.channel], target_slot, p.target.first, p.target.count, device);
                    del.plan.run(src, out);
                } else {
                    BE::Tensor out = slice(del.scratch, 0, 0, p.target.count, device);
                    del.plan.run(src, out);
                    if (dtype == DType::float32)
                        add_into<float>(del.scratch, ring[p.channel], target_slot, p.target.first);
                    else
                        add_into<double>(del.scratch, ring[p.channel], target_slot, p.target.first);
                }
                synaptic_events += static_cast<double>(source_active[k]) * p.synapses /
                                   static_cast<double>(p.source.count);
            }
            if (options.progress && ((t + 1) % progress_every == 0 || t + 1 == steps))
                options.progress(t + 1, steps);
        }
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
                            {"device", std::string(device_name(device))},
                            {"model_status", "computational_scaffold"},
                            {"runtime_report", to_json(runtime_report(registry))}};
    });
    return signals;
}

} // namespace be
