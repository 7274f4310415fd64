// Configuration::from_toml_string / from_toml_file (frontends/src/sim_toml.cpp,
// docs/simulator-config.md): every key maps onto its setter, a preset is overridden key by key,
// [cell_types] keeps the file's order, examples/sim/coba.toml is the coba-auryn preset, and every
// unknown key or wrong type is an error naming the key's full path and file:line.
#include "test_support.h"

#include <becore/frontends/simulator.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

namespace be {
namespace {

namespace fs = std::filesystem;

fs::path examples_sim() {
    return fs::path(BECORE_EXAMPLES_DIR).parent_path() / "sim";
}

std::string toml_error(const std::string& text, const std::string& origin = "t.toml") {
    try {
        Configuration::from_toml_string(text, origin);
    } catch (const Exception& e) {
        return e.what();
    }
    return "(no error)";
}

#define EXPECT_TOML_ERROR(text, message)                                                           \
    do {                                                                                           \
        const std::string error = toml_error(text);                                                \
        EXPECT_NE(error.find(message), std::string::npos) << error;                                \
    } while (0)

nlohmann::json without_name(nlohmann::json j) {
    j.erase("preset");
    return j;
}

TEST(SimToml, ExampleCobaIsThePresetCobaAuryn) {
    const Configuration file = Configuration::from_toml_file(examples_sim() / "coba.toml");
    const Configuration preset = Configuration::preset("coba-auryn");
    EXPECT_EQ(without_name(file.to_json()), without_name(preset.to_json()))
        << file.to_json().dump(1) << "\n"
        << preset.to_json().dump(1);
    EXPECT_FALSE(file.to_json().contains("preset")); // written out, not taken from the preset
}

TEST(SimToml, ExampleSmallConstructs) {
    const Configuration small = Configuration::from_toml_file(examples_sim() / "small.toml");
    EXPECT_EQ(small.data().n, 200);
    EXPECT_EQ(small.data().pathways.size(), 3u);
    EXPECT_NO_THROW(construct(small));
}

// The ```toml blocks of docs/simulator-config.md: the complete example constructs and runs, the
// preset override parses into what it says.
TEST(SimToml, TheDocumentsExamplesAreValid) {
    const fs::path doc =
        fs::path(BECORE_EXAMPLES_DIR).parent_path().parent_path() / "docs" / "simulator-config.md";
    std::istringstream text(test::read_file(doc));
    std::vector<std::string> blocks;
    std::string line, block;
    bool inside = false;
    while (std::getline(text, line)) {
        if (!inside && line == "```toml") {
            inside = true;
            block.clear();
        } else if (inside && line == "```") {
            inside = false;
            blocks.push_back(block);
        } else if (inside) {
            block += line + "\n";
        }
    }
    ASSERT_EQ(blocks.size(), 2u);
    const Configuration full = Configuration::from_toml_string(blocks[0], "complete example");
    EXPECT_FALSE(full.to_json().contains("preset"));
    const Signals s = simulate(construct(full));
    EXPECT_FALSE(s.spike_ids.empty());
    EXPECT_EQ(s.v_m.shape(), (std::vector<int64_t>{2000, 4}));
    const Configuration brief = Configuration::from_toml_string(blocks[1], "override example");
    EXPECT_EQ(brief.data().name, "coba-auryn");
    EXPECT_EQ(brief.data().duration_ms, 200);
    EXPECT_EQ(brief.data().runtime.threads, 4);
    EXPECT_EQ(brief.data().recorded.size(), 10u);
    EXPECT_NO_THROW(construct(brief));
}

TEST(SimToml, APresetIsOverriddenKeyByKey) {
    const Configuration c = Configuration::from_toml_string(R"(
preset = "cuba"
[runtime]
seed = 9
duration_ms = 50
[column]
n = 400
[emitter.attrs]
t_ref = 2
)");
    const Configuration want = Configuration::preset("cuba")
                                   .runtime(9, DType::float32, 50, 0.1)
                                   .column("column", 1, 400)
                                   .attr("t_ref", 2);
    EXPECT_EQ(c.to_json(), want.to_json());
    EXPECT_EQ(c.data().name, "cuba");
}

TEST(SimToml, EveryKeyMapsOntoItsSetter) {
    const Configuration c = Configuration::from_toml_string(R"(
preset = "coba-auryn"
probes = ["SPK", "Vm"]
record = [1, 5]
contacts = 12
[runtime]
seed = 4
dtype = "float64"
duration_ms = 20
dt_ms = 0.05
device = "cuda-emu"
threads = 2
[column]
name = "v1"
layers = 3
n = 300
[cell_types]
I = 0.25
E = 0.75
[emitter]
model = "izhikevich"
preset = "mine"
[emitter.attrs]
x = 1.5
[params.E]
a = 0.02
c = { base = -65, scale = 15, power = 2, stddev = 0.5 }
[initial.I]
v = -70
[[pathway]]
source = "E"
target = "*"
format = "fixed-pre"
p = 0.0
k = 7
weight = { kind = "normal", w0 = 1, w1 = 0.25 }
delay_ms = 1.5
channel = "e"
autapses = false
[[pathway]]
source = "I"
target = "E"
weight = -2
[[input]]
target = "E"
kind = "noise"
channel = "i"
mean = 1
stddev = 2
[[input]]
kind = "poisson"
rate_hz = 10
sources = 20
weight = 0.5
)",
                                                            "every.toml");
    const ConfigurationData& d = c.data();
    EXPECT_EQ(d.runtime.seed, 4u);
    EXPECT_EQ(d.runtime.dtype, DType::float64);
    EXPECT_EQ(d.runtime.device, Device::cuda_emu);
    EXPECT_EQ(d.runtime.threads, 2);
    EXPECT_EQ(d.duration_ms, 20);
    EXPECT_EQ(d.dt_ms, 0.05);
    EXPECT_EQ(d.column_name, "v1");
    EXPECT_EQ(d.layers, 3);
    EXPECT_EQ(d.n, 300);
    // The file's order, not the key order: I first.
    ASSERT_EQ(d.cell_types.size(), 2u);
    EXPECT_EQ(d.cell_types[0], (std::pair<std::string, double>{"I", 0.25}));
    EXPECT_EQ(d.cell_types[1], (std::pair<std::string, double>{"E", 0.75}));
    // Another model: the preset's attrs and initial states are gone, the file's remain.
    EXPECT_EQ(d.model, "izhikevich");
    EXPECT_EQ(d.preset, "mine");
    EXPECT_EQ(d.attrs, (std::map<std::string, double>{{"x", 1.5}}));
    ASSERT_EQ(d.params.size(), 1u);
    EXPECT_EQ(d.params.at("E").at("a").base, 0.02);
    EXPECT_EQ(d.params.at("E").at("a").scale, 0.0);
    const NeuronValue cv = d.params.at("E").at("c");
    EXPECT_EQ(cv.base, -65);
    EXPECT_EQ(cv.scale, 15);
    EXPECT_EQ(cv.power, 2);
    EXPECT_EQ(cv.stddev, 0.5);
    ASSERT_EQ(d.initial.size(), 1u);
    EXPECT_EQ(d.initial.at("I").at("v").base, -70);
    // The preset's four pathways are replaced by the file's two.
    ASSERT_EQ(d.pathways.size(), 2u);
    const Pathway& p0 = d.pathways[0];
    EXPECT_EQ(p0.source, "E");
    EXPECT_EQ(p0.target, "*");
    EXPECT_EQ(p0.format, "fixed-pre");
    EXPECT_EQ(p0.k, 7);
    EXPECT_EQ(p0.weight.kind, WeightDist::Kind::normal);
    EXPECT_EQ(p0.weight.w0, 1);
    EXPECT_EQ(p0.weight.w1, 0.25);
    EXPECT_EQ(p0.delay_ms, 1.5);
    EXPECT_EQ(p0.channel, "e");
    EXPECT_FALSE(p0.autapses);
    const Pathway& p1 = d.pathways[1]; // defaults of Pathway for what is not given
    EXPECT_EQ(p1.format, "jitc");
    EXPECT_EQ(p1.weight.kind, WeightDist::Kind::constant);
    EXPECT_EQ(p1.weight.w0, -2);
    EXPECT_EQ(p1.channel, "");
    EXPECT_TRUE(p1.autapses);
    ASSERT_EQ(d.inputs.size(), 2u);
    EXPECT_EQ(d.inputs[0].target, "E");
    EXPECT_EQ(d.inputs[0].kind, "noise");
    EXPECT_EQ(d.inputs[0].channel, "i");
    EXPECT_EQ(d.inputs[0].mean, 1);
    EXPECT_EQ(d.inputs[0].stddev, 2);
    EXPECT_EQ(d.inputs[1].target, "*");
    EXPECT_EQ(d.inputs[1].rate_hz, 10);
    EXPECT_EQ(d.inputs[1].sources, 20);
    EXPECT_EQ(d.inputs[1].weight, 0.5);
    EXPECT_EQ(d.probes, (std::vector<std::string>{"SPK", "Vm"}));
    EXPECT_EQ(d.recorded, (std::vector<int32_t>{1, 5}));
    EXPECT_EQ(d.contacts, 12);
}

TEST(SimToml, LayersAreACountOrTheirNames) {
    const Configuration named = Configuration::from_toml_string(
        "preset = \"cuba\"\n[column]\nname = \"V1\"\nlayers = [\"L2/3\", \"L4\"]\nn = 40\n");
    EXPECT_EQ(named.to_json(),
              Configuration::preset("cuba").column("V1", {"L2/3", "L4"}, 40).to_json());
    EXPECT_EQ(named.data().layers, 2);
    const Configuration counted = Configuration::from_toml_string("[column]\nlayers = 3\n");
    EXPECT_TRUE(counted.data().layer_names.empty());
    EXPECT_EQ(counted.data().layers, 3);
    EXPECT_TOML_ERROR("[column]\nlayers = [\"L1\", 2]\n",
                      "column.layers[1]: expected a string, got an integer (t.toml:2)");
    EXPECT_TOML_ERROR("[column]\nlayers = \"L1\"\n",
                      "column.layers: expected an integer or an array of names, got a string");
}

TEST(SimToml, EmptyArraysClearThePresetsPathwaysAndInputs) {
    const Configuration c =
        Configuration::from_toml_string("preset = \"brunel2000\"\npathway = []\ninput = []\n");
    EXPECT_TRUE(c.data().pathways.empty());
    EXPECT_TRUE(c.data().inputs.empty());
    // Without the keys the preset's stay.
    const Configuration kept = Configuration::from_toml_string("preset = \"brunel2000\"\n");
    EXPECT_EQ(kept.data().pathways.size(), 2u);
    EXPECT_EQ(kept.data().inputs.size(), 1u);
}

TEST(SimToml, UnknownKeysAreNamedWithTheirPathAndLine) {
    EXPECT_TOML_ERROR("durations = 5\n",
                      "from_toml: durations: unknown key (t.toml:1; known: preset, runtime");
    EXPECT_TOML_ERROR("[runtime]\nseed = 1\n\ndt = 0.1\n", "runtime.dt: unknown key (t.toml:4;");
    EXPECT_TOML_ERROR("[runtime]\ndt = 0.1\n", "known: seed, dtype, duration_ms, dt_ms, device");
    EXPECT_TOML_ERROR("[column]\nsize = 4\n", "column.size: unknown key (t.toml:2");
    EXPECT_TOML_ERROR("[emitter]\nmodel = \"lif_coba\"\nparams = 1\n",
                      "emitter.params: unknown key (t.toml:3");
    EXPECT_TOML_ERROR("[[pathway]]\nsource = \"E\"\n[[pathway]]\nsource = \"I\"\nwieght = 1\n",
                      "pathway[1].wieght: unknown key (t.toml:5");
    EXPECT_TOML_ERROR("[[pathway]]\nweight = { kind = \"normal\", w0 = 1, sd = 2 }\n",
                      "pathway[0].weight.sd: unknown key (t.toml:2");
    EXPECT_TOML_ERROR("[[input]]\nrate = 5\n", "input[0].rate: unknown key (t.toml:2");
    EXPECT_TOML_ERROR("[params.E]\na = { bse = 1 }\n", "params.E.a.bse: unknown key (t.toml:2");
    EXPECT_TOML_ERROR("[initial.I]\nv = { base = 1, sigma = 2 }\n",
                      "initial.I.v.sigma: unknown key (t.toml:2");
}

TEST(SimToml, WrongTypesAreNamedWithTheirPathAndLine) {
    EXPECT_TOML_ERROR("[runtime]\nseed = 1\ndt_ms = \"0.1\"\n",
                      "from_toml: runtime.dt_ms: expected a number, got a string (t.toml:3)");
    EXPECT_TOML_ERROR("[runtime]\nseed = 1.5\n",
                      "runtime.seed: expected an integer, got a floating-point number (t.toml:2)");
    EXPECT_TOML_ERROR("[runtime]\nseed = -1\n", "runtime.seed: must be in [0, ");
    EXPECT_TOML_ERROR("[runtime]\ndtype = \"int32\"\n", "runtime.dtype: unknown dtype 'int32'");
    EXPECT_TOML_ERROR("[runtime]\ndevice = \"tpu\"\n", "runtime.device: unknown device 'tpu'");
    EXPECT_TOML_ERROR("runtime = 5\n", "runtime: expected a table, got an integer (t.toml:1)");
    EXPECT_TOML_ERROR("[column]\nn = 4.5\n", "column.n: expected an integer");
    EXPECT_TOML_ERROR("[cell_types]\nE = \"0.8\"\n",
                      "cell_types.E: expected a number, got a string");
    EXPECT_TOML_ERROR("[pathway]\nsource = \"E\"\n", "pathway: expected an array, got a table");
    EXPECT_TOML_ERROR("pathway = [1]\n", "pathway[0]: expected a table, got an integer");
    EXPECT_TOML_ERROR("[[pathway]]\nautapses = 0\n",
                      "pathway[0].autapses: expected a boolean, got an integer (t.toml:2)");
    EXPECT_TOML_ERROR(
        "[[pathway]]\nweight = \"big\"\n",
        "pathway[0].weight: expected a number or a table {kind, w0, w1}, got a string");
    EXPECT_TOML_ERROR("[[pathway]]\nweight = { kind = \"lognormal\" }\n",
                      "pathway[0].weight.kind: unknown kind 'lognormal'");
    EXPECT_TOML_ERROR("probes = \"SPK\"\n", "probes: expected an array, got a string");
    EXPECT_TOML_ERROR("probes = [\"SPK\", 3]\n", "probes[1]: expected a string, got an integer");
    EXPECT_TOML_ERROR("record = [1, -2]\n", "record[1]: must be in [0, 2147483647]");
    EXPECT_TOML_ERROR("[params.E]\na = true\n",
                      "params.E.a: expected a number or a table {base, scale, power, stddev}");
    EXPECT_TOML_ERROR("\npreset = \"nope\"\n",
                      "from_toml: preset: unknown preset 'nope' (known: coba-auryn");
    EXPECT_TOML_ERROR("\npreset = \"nope\"\n", "(t.toml:2)");
}

TEST(SimToml, SyntaxErrorsAndMissingFilesAreNamed) {
    EXPECT_TOML_ERROR("[runtime]\nseed = = 1\n", "from_toml: t.toml:2:");
    EXPECT_TOML_ERROR("[runtime]\nseed = 1\nseed = 2\n", "t.toml:3:");
    try {
        Configuration::from_toml_file("/nonexistent/net.toml");
        ADD_FAILURE() << "no exception";
    } catch (const Exception& e) {
        EXPECT_NE(std::string(e.what()).find("from_toml_file: cannot read /nonexistent/net.toml"),
                  std::string::npos)
            << e.what();
    }
    test::TempDir dir;
    test::write_file(dir / "bad.toml", "[column]\n\nn = \"many\"\n");
    try {
        Configuration::from_toml_file((dir / "bad.toml").string());
        ADD_FAILURE() << "no exception";
    } catch (const Exception& e) {
        EXPECT_NE(std::string(e.what()).find("column.n: expected an integer, got a string (" +
                                             (dir / "bad.toml").string() + ":3)"),
                  std::string::npos)
            << e.what();
    }
}

TEST(SimToml, ConstructNamesTheFieldOfAValidTomlValue) {
    const Configuration c = Configuration::from_toml_string(
        "preset = \"coba-auryn\"\n[cell_types]\nE = 0.7\nI = 0.2\n", "t.toml");
    try {
        construct(c);
        ADD_FAILURE() << "no exception";
    } catch (const Exception& e) {
        EXPECT_NE(std::string(e.what()).find("cell_types: the fractions sum to 0.9, not 1"),
                  std::string::npos)
            << e.what();
    }
}

} // namespace
} // namespace be
