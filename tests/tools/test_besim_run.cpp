// `besim run` as a user runs it: a TOML configuration (examples/sim/small.toml) and a preset on a
// short run, the Signals files read back and held against the library's simulate(), the rates
// printed, --json, bitwise-identical spikes for the same seed, examples/sim/coba.toml against the
// coba-auryn preset, the output directory rules and the exit codes (2 for every invalid
// invocation or configuration, naming the key and the line). The suite shares the warm cache.
#include "test_support.h"

#include <becore/frontends/simulator.h>
#include <becore/runtime/npy.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>

namespace be {
namespace {

namespace fs = std::filesystem;

fs::path examples_sim() {
    return fs::path(BECORE_EXAMPLES_DIR).parent_path() / "sim";
}

class BesimRun : public ::testing::Test {
  protected:
    test::TempDir work;

    static std::string besim() { return (test::bin_dir() / "besim").string(); }
    // stdout and stderr together.
    test::CommandResult run(const std::string& arguments) {
        return test::run_command(besim() + " run " + arguments);
    }
    // stdout only (the --json document).
    test::CommandResult run_stdout(const std::string& arguments) {
        return test::run_command("{ " + besim() + " run " + arguments + " 2>/dev/null; }");
    }
    std::string out(const std::string& name = "out") { return (work / name).string(); }
    HostArray load(const std::string& dir, const std::string& name) {
        auto a = read_npy(work / dir / name);
        EXPECT_TRUE(a) << a.error().full();
        return a ? std::move(*a) : HostArray{};
    }
    std::vector<std::string> entries(const fs::path& dir) {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(dir))
            names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }
};

std::vector<double> as_doubles(const HostArray& a) {
    return {a.data_as<double>(), a.data_as<double>() + a.numel()};
}
std::vector<int32_t> as_ints(const HostArray& a) {
    return {a.data_as<int32_t>(), a.data_as<int32_t>() + a.numel()};
}

TEST_F(BesimRun, SmallConfigWritesTheSignalsOfTheLibrary) {
    const std::string config = (examples_sim() / "small.toml").string();
    auto r = run(config + " --out " + out());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(entries(work / "out"),
              (std::vector<std::string>{"csd_proxy.npy", "lfp_proxy.npy", "metadata.json",
                                        "spikes_i.npy", "spikes_t_ms.npy", "v_m.npy"}));
    EXPECT_EQ(entries(work.path()), std::vector<std::string>{"out"}); // no staging left

    // The same configuration through the library gives the same Signals, bit for bit.
    const Signals want = simulate(construct(Configuration::from_toml_file(config)));
    ASSERT_FALSE(want.spike_ids.empty());
    HostArray t = load("out", "spikes_t_ms.npy"), i = load("out", "spikes_i.npy");
    EXPECT_EQ(t.dtype(), DType::float64);
    EXPECT_EQ(i.dtype(), DType::int32);
    EXPECT_EQ(as_doubles(t), want.spike_times_ms);
    EXPECT_EQ(as_ints(i), want.spike_ids);
    HostArray v = load("out", "v_m.npy"), lfp = load("out", "lfp_proxy.npy"),
              csd = load("out", "csd_proxy.npy");
    EXPECT_EQ(v.shape(), (std::vector<int64_t>{1000, 5})); // 100 ms of 0.1 ms, record = 5 ids
    EXPECT_EQ(lfp.shape(), (std::vector<int64_t>{1000, 8}));
    EXPECT_EQ(csd.shape(), (std::vector<int64_t>{1000, 6}));
    EXPECT_EQ(std::memcmp(lfp.data(), want.lfp_proxy.data(), static_cast<size_t>(lfp.nbytes())), 0);

    // Rates per population, wall times, the real-time factor and the events are printed.
    auto meta = nlohmann::json::parse(test::read_file(work / "out" / "metadata.json"));
    EXPECT_EQ(meta["besim"]["source"]["config"], config);
    for (const char* population : {"E", "I"}) {
        const double rate = meta["rates_hz"][population];
        std::ostringstream line;
        line << "rate " << population;
        EXPECT_NE(r.output.find(line.str()), std::string::npos) << r.output;
        char value[32];
        std::snprintf(value, sizeof value, "%.2f Hz", rate);
        EXPECT_NE(r.output.find(value), std::string::npos) << value << "\n" << r.output;
    }
    for (const char* text : {"construct ", "simulate ", "real-time factor", "synaptic events",
                             "200 neurons", "1000 steps", "besim run: 100 %"})
        EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
}

TEST_F(BesimRun, PresetWithJsonSummary) {
    auto r = run_stdout("--preset coba-auryn --duration-ms 20 --seed 5 --threads 2 --json --out " +
                        out());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto s = nlohmann::json::parse(r.output);
    EXPECT_EQ(s["command"], "run");
    EXPECT_EQ(s["source"]["preset"], "coba-auryn");
    EXPECT_EQ(s["files"].size(), 3u); // presets probe SPK only
    EXPECT_EQ(s["neurons"], 4000);
    EXPECT_EQ(s["steps"], 200);
    EXPECT_EQ(s["seed"], 5);
    EXPECT_EQ(s["threads"], 2);
    EXPECT_EQ(s["dtype"], "float32");
    EXPECT_GT(s["synapses"].get<double>(), 250000); // 4000² × 0.02 without autapses
    EXPECT_TRUE(s["rates_hz"].contains("E") && s["rates_hz"].contains("I"));
    EXPECT_GT(s["synaptic_events"].get<double>(), 0);
    for (const char* key : {"construct", "simulate"})
        EXPECT_GE(s["wall_s"][key].get<double>(), 0) << key;
    EXPECT_NEAR(s["real_time_factor"].get<double>(), s["wall_s"]["simulate"].get<double>() / 0.020,
                1e-9);
    HostArray i = load("out", "spikes_i.npy");
    EXPECT_EQ(s["spikes"], i.numel());
    EXPECT_EQ(s["populations"][0]["name"], "E");
    EXPECT_EQ(s["populations"][0]["count"], 3200);
}

TEST_F(BesimRun, SameSeedTwiceGivesBitwiseIdenticalSpikeFiles) {
    const std::string config = (examples_sim() / "small.toml").string();
    ASSERT_EQ(run(config + " --seed 11 --duration-ms 50 --out " + out("a")).exit_code, 0);
    ASSERT_EQ(run(config + " --seed 11 --duration-ms 50 --threads 1 --out " + out("b")).exit_code,
              0);
    ASSERT_EQ(run(config + " --seed 12 --duration-ms 50 --out " + out("c")).exit_code, 0);
    for (const char* name : {"spikes_t_ms.npy", "spikes_i.npy"}) {
        const std::string a = test::read_file(work / "a" / name);
        EXPECT_FALSE(a.empty());
        EXPECT_EQ(a, test::read_file(work / "b" / name)) << name;
        EXPECT_NE(a, test::read_file(work / "c" / name)) << name;
    }
}

TEST_F(BesimRun, ExampleCobaTomlGivesThePresetsSpikes) {
    ASSERT_EQ(run((examples_sim() / "coba.toml").string() + " --duration-ms 30 --out " + out("t"))
                  .exit_code,
              0);
    ASSERT_EQ(run("--preset coba-auryn --duration-ms 30 --out " + out("p")).exit_code, 0);
    for (const char* name : {"spikes_t_ms.npy", "spikes_i.npy"})
        EXPECT_EQ(test::read_file(work / "t" / name), test::read_file(work / "p" / name)) << name;
    const HostArray i = load("p", "spikes_i.npy");
    EXPECT_GT(i.numel(), 0); // the +20 mV drive takes a neuron from rest to threshold in 14 ms
}

TEST_F(BesimRun, ANonEmptyOutNeedsForceAndIsLeftAloneWithoutIt) {
    fs::create_directories(work / "out");
    test::write_file(work / "out" / "keep.txt", "mine");
    const std::string config = (examples_sim() / "small.toml").string() + " --duration-ms 5";
    auto r = run(config + " --out " + out());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("is not empty"), std::string::npos) << r.output;
    EXPECT_EQ(entries(work / "out"), std::vector<std::string>{"keep.txt"});
    EXPECT_EQ(test::read_file(work / "out" / "keep.txt"), "mine");

    r = run(config + " --force --out " + out());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_FALSE(fs::exists(work / "out" / "keep.txt"));
    EXPECT_TRUE(fs::exists(work / "out" / "spikes_i.npy"));
    EXPECT_EQ(entries(work.path()), std::vector<std::string>{"out"});
}

TEST_F(BesimRun, InvalidConfigurationsExitTwoNamingTheKeyAndLine) {
    struct Case {
        std::string toml, message;
    };
    const std::vector<Case> cases = {
        {"preset = \"coba-auryn\"\n[runtime]\nduration_ms = 10\ndt = 0.1\n",
         "runtime.dt: unknown key (" + (work / "net.toml").string() + ":4; known: seed"},
        {"preset = \"coba-auryn\"\n[runtime]\n\ndt_ms = \"0.1\"\n",
         "runtime.dt_ms: expected a number, got a string (" + (work / "net.toml").string() + ":4)"},
        {"preset = \"coba-auryn\"\n[[pathway]]\nsource = \"E\"\nwieght = 1\n",
         "pathway[0].wieght: unknown key (" + (work / "net.toml").string() + ":4"},
        {"preset = \"coba\"\n[cell_types]\nE = 0.7\nI = 0.2\n",
         "construct: cell_types: the fractions sum to 0.9, not 1"},
        {"preset = \"coba\"\n[emitter]\nmodel = \"hodgkin_huxley\"\n", "hodgkin_huxley"},
        {"preset = \"nope\"\n", "preset: unknown preset 'nope'"},
    };
    for (const auto& c : cases) {
        test::write_file(work / "net.toml", c.toml);
        auto r = run((work / "net.toml").string() + " --out " + out());
        EXPECT_EQ(r.exit_code, 2) << c.toml << r.output;
        EXPECT_NE(r.output.find(c.message), std::string::npos) << c.message << "\n" << r.output;
        EXPECT_FALSE(fs::exists(work / "out")) << c.toml;
    }
    const std::vector<Case> invocations = {
        {"--preset nope --out " + out(), "unknown preset 'nope' (known: coba-auryn, coba"},
        {"--out " + out(), "give a CONFIG.toml or --preset NAME"},
        {(work / "net.toml").string() + " --preset coba --out " + out(),
         "give a CONFIG.toml or --preset NAME"},
        {(work / "missing.toml").string() + " --out " + out(), "missing.toml: no such file"},
        {"--preset coba --dtype int8 --out " + out(), "--dtype int8"},
        {"--preset coba --device tpu --out " + out(), "--device tpu"},
        {"--preset coba --duration-ms 1.05 --out " + out(),
         "runtime.duration_ms: 1.05 ms is not a whole number of steps"},
        {"--preset coba --probe EEG --out " + out(), "probes: unknown probe 'EEG'"},
        {"--preset coba", "--out is required"},
    };
    for (const auto& c : invocations) {
        auto r = run(c.toml);
        EXPECT_EQ(r.exit_code, 2) << c.toml << "\n" << r.output;
        EXPECT_NE(r.output.find(c.message), std::string::npos) << c.message << "\n" << r.output;
        EXPECT_FALSE(fs::exists(work / "out")) << c.toml;
    }
}

// A neuron model of the user's, on BECORE_KERNEL_PATH, named in the TOML: it runs like a built-in,
// and when its kernel fails the run exits with 1 and writes nothing.
TEST_F(BesimRun, ACustomModelOnTheKernelPathRunsAndItsFailureExitsOne) {
    test::write_file(work / "mylab.cpp", R"(
// clang-format off
// @BE drift_step_f32 = drift_step<float> ret:float32 ret:bool arg:float32 arg:float32 attr.dt:float64 attr.limit:float64
// clang-format on
template <typename T>
void drift_step(BE::Tensor& v, BE::Tensor& spikes, const BE::Tensor& in_e, const BE::Tensor& in_i,
                double dt, double limit) {
    BE_CHECK(limit > 0, "drift_step: limit must be positive");
    for (int64_t i = 0; i < v.numel(); ++i) {
        T& x = v.data_ptr<T>()[i];
        x += static_cast<T>(dt * (1.0 + in_e.data_ptr<T>()[i] - in_i.data_ptr<T>()[i]));
        spikes.data_ptr<bool>()[i] = x >= limit;
        if (x >= limit) x = 0;
    }
}
)");
    const std::string config =
        "preset = \"coba-auryn\"\n[runtime]\nduration_ms = 5\n[column]\n"
        "n = 100\n[emitter]\nmodel = \"custom\"\npreset = \"mylab.drift_step\""
        "\n[emitter.attrs]\nlimit = ";
    const std::string env = "BECORE_KERNEL_PATH=" + (work / "mylab.cpp").string() + " ";
    test::write_file(work / "ok.toml", config + "1.0\n");
    auto r = test::run_command(env + besim() + " run " + (work / "ok.toml").string() + " --out " +
                               out("ok"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_GT(load("ok", "spikes_i.npy").numel(), 0);

    test::write_file(work / "bad.toml", config + "-1.0\n");
    r = test::run_command(env + besim() + " run " + (work / "bad.toml").string() + " --out " +
                          out("bad"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("drift_step: limit must be positive"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(work / "bad"));
}

TEST_F(BesimRun, HelpDescribesTheCommand) {
    auto r = run("--help");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const char* text : {"--preset", "--duration-ms", "--seed", "--threads", "--device",
                             "--dtype", "--out", "--force", "--json", "simulator-config.md"})
        EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
}

} // namespace
} // namespace be
