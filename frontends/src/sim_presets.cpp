// The named networks of Configuration::preset, each with the published parameters it follows.
// Units: ms, mV; conductances in units of the leak conductance; currents in mV (R·I).
#include <becore/frontends/simulator.h>
#include <becore/runtime/error.h>

#include <functional>

namespace be {

namespace {

Pathway pathway(std::string source, std::string target, std::string format, double p,
                WeightDist weight, double delay_ms, std::string channel) {
    Pathway pw;
    pw.source = std::move(source);
    pw.target = std::move(target);
    pw.format = std::move(format);
    pw.p = p;
    pw.weight = weight;
    pw.delay_ms = delay_ms;
    pw.channel = std::move(channel);
    return pw;
}

WeightDist constant(double w) {
    return {WeightDist::Kind::constant, w, 0.0};
}

// The Vogels & Abbott (2005) network that coba-auryn and coba share: 3200 E + 800 I conductance-
// based LIF neurons, tau_m = 20 ms, E_rest = reset = -60 mV, threshold -50 mV, refractory 5 ms,
// E_exc = 0, E_inh = -80 mV, tau_e = 5 ms, tau_i = 10 ms.
Configuration vogels_abbott(const Configuration& c, const std::string& parameter_set) {
    return c.column("column", 1, 4000)
        .cell_types({{"E", 0.8}, {"I", 0.2}})
        .set_emitter("lif_coba", parameter_set)
        .attr("tau_m", 20)
        .attr("tau_e", 5)
        .attr("tau_i", 10)
        .attr("e_rest", -60)
        .attr("e_exc", 0)
        .attr("e_inh", -80)
        .attr("v_th", -50)
        .attr("v_reset", -60)
        .attr("t_ref", 5);
}

// Vogels & Abbott (2005) as the Auryn simulator's examples/sim_coba_benchmark.cpp builds it
// (TIFGroup, src/auryn/TIFGroup.cpp): 3200 E + 800 I, tau_m = 100 MOhm x 200 pF = 20 ms,
// E_rest = -60 mV, threshold -50 mV, reset to E_rest, refractory 5 ms, E_exc = 0, E_inh = -80 mV,
// tau_ampa = 5 ms, tau_gaba = 10 ms, bg_current 2e-2 V = 20 mV on every neuron, weights 0.4
// (from E) and 5.1 (from I) in units of the leak conductance, p = 0.02 without self-connections,
// dt = 0.1 ms, Auryn's axonal delay of 8 steps (0.8 ms). Every neuron starts at E_rest with no
// conductance (TIFGroup::clear). Auryn fires at ~17 Hz here.
Configuration coba_auryn(Configuration c) {
    c = vogels_abbott(c, "auryn").attr("i_bg", 20);
    for (const char* type : {"E", "I"})
        c = c.initial_state(type, "v", {-60.0, 0.0, 1.0});
    for (const char* target : {"E", "I"}) {
        Pathway from_e = pathway("E", target, "csr", 0.02, constant(0.4), 0.8, "e");
        Pathway from_i = pathway("I", target, "csr", 0.02, constant(5.1), 0.8, "i");
        from_e.autapses = from_i.autapses = false;
        c = c.connectivity(from_e).connectivity(from_i);
    }
    return c;
}

// Brette et al. (2007), "Simulation of networks of spiking neurons: a review of tools and
// strategies", benchmark 1 (COBA; Vogels & Abbott 2005), with the parameters of its reference
// scripts (as in Brian's COBA example): 4000 neurons, 80 % E, p = 0.02, tau_m = 20 ms,
// E_L = -60 mV, threshold -50 mV, reset -60 mV, refractory 5 ms, E_exc = 0 mV, E_inh = -80 mV,
// tau_e = 5 ms, tau_i = 10 ms, g_L = 10 nS, weights 6 nS (E) and 67 nS (I) = 0.6 and 6.7 leak
// conductances, no external input: the activity is self-sustained from random initial
// conditions, drawn as Brian's example does: v ~ N(-65, 5) mV, g_e ~ N(4, 1.5), g_i ~ N(20, 12)
// (leak units; a few neurons start with little inhibition and fire, which sustains the rest).
// Synapses act after one step (0.1 ms), the shortest delay becore has.
Configuration coba_brette(Configuration c) {
    c = vogels_abbott(c, "brette2007").attr("i_bg", 0);
    for (const char* type : {"E", "I"})
        c = c.initial_state(type, "v", {-65.0, 0.0, 1.0, 5.0})
                .initial_state(type, "g_e", {4.0, 0.0, 1.0, 1.5})
                .initial_state(type, "g_i", {20.0, 0.0, 1.0, 12.0});
    for (const char* target : {"E", "I"})
        c = c.connectivity(pathway("E", target, "jitc", 0.02, constant(0.6), 0.1, "e"))
                .connectivity(pathway("I", target, "jitc", 0.02, constant(6.7), 0.1, "i"));
    return c;
}

// Brette et al. (2007) benchmark 2 (CUBA), as its reference scripts (Brian's CUBA example):
// 4000 neurons, 80 % E, p = 0.02, tau_m = 20 ms, E_L = -49 mV, threshold -50 mV, reset -60 mV,
// refractory 5 ms, exponential currents tau_e = 5 ms, tau_i = 10 ms, weights
// w_e = 60 * 0.27 / 10 = 1.62 mV and w_i = -20 * 4.5 / 10 = -9 mV, v uniform in [-60, -50).
Configuration cuba_brette(Configuration c) {
    c = c.column("column", 1, 4000)
            .cell_types({{"E", 0.8}, {"I", 0.2}})
            .set_emitter("lif_cuba", "brette2007")
            .attr("tau_m", 20)
            .attr("tau_e", 5)
            .attr("tau_i", 10)
            .attr("v_rest", -49)
            .attr("v_reset", -60)
            .attr("v_th", -50)
            .attr("t_ref", 5)
            .attr("i_ext", 0);
    for (const char* type : {"E", "I"})
        c = c.initial_state(type, "v", {-60.0, 10.0, 1.0});
    for (const char* target : {"E", "I"})
        c = c.connectivity(pathway("E", target, "jitc", 0.02, constant(1.62), 0.1, "e"))
                .connectivity(pathway("I", target, "jitc", 0.02, constant(-9.0), 0.1, "i"));
    return c;
}

// Brunel (2000), "Dynamics of sparsely connected networks of excitatory and inhibitory spiking
// neurons", model A in the asynchronous irregular regime (g = 5, nu_ext = 2 nu_thr; Fig. 8):
// N_E = 10000, N_I = 2500, every neuron receives C_E = 1000 excitatory and C_I = 250 inhibitory
// synapses (fixed in-degree, epsilon = 0.1), J = 0.1 mV, J_I = -g J = -0.5 mV, delay D = 1.5 ms,
// tau = 20 ms, threshold 20 mV, reset 10 mV, refractory 2 ms, rest 0 mV, and C_E external
// Poisson sources of rate nu_ext = 2 theta / (J C_E tau) = 20 Hz each, weight J. Brunel's
// synapses are delta currents; here they are exponential currents with tau_syn = 0.5 ms whose
// weight is scaled by tau_m / tau_syn, so that each delivers the same charge (a total voltage
// excursion of J); dt = 0.1 ms.
Configuration brunel2000(Configuration c) {
    const double tau_m = 20, tau_syn = 0.5, j = 0.1, g = 5, scale = tau_m / tau_syn;
    c = c.column("column", 1, 12500)
            .cell_types({{"E", 0.8}, {"I", 0.2}})
            .set_emitter("lif_cuba", "brunel2000")
            .attr("tau_m", tau_m)
            .attr("tau_e", tau_syn)
            .attr("tau_i", tau_syn)
            .attr("v_rest", 0)
            .attr("v_reset", 10)
            .attr("v_th", 20)
            .attr("t_ref", 2)
            .attr("i_ext", 0);
    for (const char* type : {"E", "I"})
        c = c.initial_state(type, "v", {0.0, 20.0, 1.0});
    Pathway from_e = pathway("E", "*", "fixed-pre", 0, constant(j * scale), 1.5, "e");
    Pathway from_i = pathway("I", "*", "fixed-pre", 0, constant(-g * j * scale), 1.5, "i");
    from_e.k = 1000;
    from_i.k = 250;
    Input drive;
    drive.kind = "poisson";
    drive.rate_hz = 20;
    drive.sources = 1000;
    drive.weight = j * scale;
    return c.connectivity(from_e).connectivity(from_i).input(drive);
}

// Izhikevich (2003), "Simple model of spiking neurons", IEEE TNN 14(6), and its MATLAB program:
// 800 regular-spiking excitatory neurons (a = 0.02, b = 0.2, c = -65 + 15 r², d = 8 - 6 r²) and
// 200 fast-spiking inhibitory ones (a = 0.02 + 0.08 r, b = 0.25 - 0.05 r, c = -65, d = 2), r
// uniform per neuron; all-to-all synapses S = [0.5 * rand, -rand] (here JITC with p = 1 and
// uniform weights in [0, 0.5) and [-1, 0)); thalamic input 5 N(0, 1) (E) and 2 N(0, 1) (I)
// every step; v = -65 and u = b v at the start; dt = 1 ms. A spike acts on the next step, as in
// the program (which detects v >= 30 at the start of the step after the crossing).
Configuration izhikevich2003(Configuration c) {
    c = c.runtime(c.data().runtime.seed, c.data().runtime.dtype, 1000, 1.0, c.data().runtime.device)
            .column("column", 1, 1000)
            .cell_types({{"E", 0.8}, {"I", 0.2}})
            .set_emitter("izhikevich", "izhikevich2003")
            .param("E", "a", {0.02, 0.0, 1.0})
            .param("E", "b", {0.2, 0.0, 1.0})
            .param("E", "c", {-65.0, 15.0, 2.0})
            .param("E", "d", {8.0, -6.0, 2.0})
            .param("I", "a", {0.02, 0.08, 1.0})
            .param("I", "b", {0.25, -0.05, 1.0})
            .param("I", "c", {-65.0, 0.0, 1.0})
            .param("I", "d", {2.0, 0.0, 1.0});
    for (const char* type : {"E", "I"})
        c = c.initial_state(type, "v", {-65.0, 0.0, 1.0});
    c = c.connectivity(
             pathway("E", "*", "jitc", 1.0, {WeightDist::Kind::uniform, 0.0, 0.5}, 1.0, "e"))
            .connectivity(
                pathway("I", "*", "jitc", 1.0, {WeightDist::Kind::uniform, -1.0, 0.0}, 1.0, "i"));
    for (const auto& [type, sd] : {std::pair{"E", 5.0}, std::pair{"I", 2.0}}) {
        Input noise;
        noise.target = type;
        noise.kind = "noise";
        noise.stddev = sd;
        c = c.input(noise);
    }
    return c;
}

const std::vector<std::pair<std::string, std::function<Configuration(Configuration)>>>& presets() {
    static const std::vector<std::pair<std::string, std::function<Configuration(Configuration)>>>
        table = {{"coba-auryn", coba_auryn},
                 {"coba", coba_brette},
                 {"cuba", cuba_brette},
                 {"brunel2000", brunel2000},
                 {"izhikevich2003", izhikevich2003}};
    return table;
}

} // namespace

std::vector<std::string> Configuration::preset_names() {
    std::vector<std::string> names;
    for (const auto& [name, make] : presets())
        names.push_back(name);
    return names;
}

Configuration Configuration::preset(const std::string& name) {
    for (const auto& [known, make] : presets())
        if (known == name) {
            Configuration base = Configuration{}.runtime(0, DType::float32, 1000, 0.1);
            return make(base).with([&](ConfigurationData& d) { d.name = name; });
        }
    std::string list;
    for (const auto& known : preset_names())
        list += (list.empty() ? "" : ", ") + known;
    throw Exception(make_error(ErrorCode::not_found, "Configuration::preset: unknown preset '" +
                                                         name + "' (known: " + list + ")"));
}

} // namespace be
