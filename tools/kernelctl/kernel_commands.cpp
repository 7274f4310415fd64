// kernelctl commands that parse, build and call kernels.
#include "kernelctl.h"

#include <becore/frontends/runtime_report.h>
#include <becore/registry/annotation.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cuda_backend.h>
#include <becore/runtime/dtype.h>
#include <becore/runtime/npy.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace kernelctl {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json param_json(const be::Param& p) {
    return {{"kind", be::param_kind_name(p.kind)},
            {"name", p.name},
            {"dtype", p.dtype ? json(std::string(be::dtype_name(*p.dtype))) : json(nullptr)}};
}

be::SourceKind source_kind(const fs::path& file) {
    return file.extension() == ".cu" ? be::SourceKind::cuda : be::SourceKind::cpp;
}

// The device a file's targets serve: cuda for .cu and for host code that calls BE::cuda_launch.
be::Device file_device(const fs::path& file, const std::string& source) {
    return file.extension() == ".cu" || be::calls_cuda_launch(source) ? be::Device::cuda
                                                                      : be::Device::cpu;
}

// Said once per invocation, when CUDA is involved and there is no device: the loads themselves
// stay quiet (a missing GPU is a normal state, not an error).
void note_cuda_status_once() {
    static bool said = false;
    const auto& status = be::cuda_status();
    if (said || status.available) return;
    said = true;
    std::cerr
        << "kernelctl: note: no CUDA device: " << status.reason
        << " (.cu targets are compiled with --arch or BECORE_CUDA_ARCH but cannot run here)\n";
}

// The first `count` elements of a host tensor, for a person to read ("0 2.5 5 ..." with "..."
// when there are more). Half-precision values are shown as their bit patterns.
std::string head_values(const BE::Tensor& t, int64_t count = 8) {
    std::string text;
    const int64_t n = std::min(count, t.numel());
    char buf[48];
    for (int64_t i = 0; i < n; ++i) {
        const void* p = static_cast<const char*>(t.data_ptr()) + i * be::dtype_size(t.dtype());
        switch (t.dtype()) {
        case be::DType::bool_:
            std::snprintf(buf, sizeof buf, "%d", *static_cast<const uint8_t*>(p) != 0);
            break;
        case be::DType::int8:
            std::snprintf(buf, sizeof buf, "%d", *static_cast<const int8_t*>(p));
            break;
        case be::DType::int16:
            std::snprintf(buf, sizeof buf, "%d", *static_cast<const int16_t*>(p));
            break;
        case be::DType::int32:
            std::snprintf(buf, sizeof buf, "%d", *static_cast<const int32_t*>(p));
            break;
        case be::DType::int64:
            std::snprintf(buf, sizeof buf, "%lld",
                          static_cast<long long>(*static_cast<const int64_t*>(p)));
            break;
        case be::DType::uint8:
            std::snprintf(buf, sizeof buf, "%u", *static_cast<const uint8_t*>(p));
            break;
        case be::DType::uint16:
            std::snprintf(buf, sizeof buf, "%u", *static_cast<const uint16_t*>(p));
            break;
        case be::DType::uint32:
            std::snprintf(buf, sizeof buf, "%u", *static_cast<const uint32_t*>(p));
            break;
        case be::DType::uint64:
            std::snprintf(buf, sizeof buf, "%llu",
                          static_cast<unsigned long long>(*static_cast<const uint64_t*>(p)));
            break;
        case be::DType::float16:
        case be::DType::bfloat16:
            std::snprintf(buf, sizeof buf, "0x%04x", *static_cast<const uint16_t*>(p));
            break;
        case be::DType::float32:
            std::snprintf(buf, sizeof buf, "%.7g", *static_cast<const float*>(p));
            break;
        case be::DType::float64:
            std::snprintf(buf, sizeof buf, "%.10g", *static_cast<const double*>(p));
            break;
        }
        text += (i ? " " : "") + std::string(buf);
    }
    if (t.numel() > n) text += " ...";
    return text;
}

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

} // namespace

int cmd_targets(const std::vector<std::string>& files, bool as_json) {
    json out = json::array();
    for (const auto& name : files) {
        fs::path file(name);
        require_exists(file);
        const std::string source = read_source(file);
        auto signatures = be::parse_annotations(source, file.string(), source_kind(file));
        if (!signatures) fail(k_exit_invalid, signatures.error().full());
        const be::Device device = file_device(file, source);
        for (const auto& s : *signatures) {
            json params = json::array();
            for (const auto& p : s.params)
                params.push_back(param_json(p));
            out.push_back({{"name", file.stem().string() + "." + s.name},
                           {"file", file.string()},
                           {"line", s.line},
                           {"backend", file.extension() == ".cu" ? "cuda" : "cpu"},
                           {"device", std::string(be::device_name(device))},
                           {"params", params},
                           {"launch", s.launch ? json(s.launch->text) : json(nullptr)}});
        }
    }
    if (as_json) {
        print_json(out);
        return 0;
    }
    for (const auto& t : out) {
        std::string params;
        for (const auto& p : t["params"]) {
            params += (params.empty() ? "" : ", ") + p["kind"].get<std::string>() + " " +
                      p["name"].get<std::string>();
            if (!p["dtype"].is_null()) params += ":" + p["dtype"].get<std::string>();
        }
        std::cout << t["name"].get<std::string>() << "(" << params << ")";
        if (!t["launch"].is_null())
            std::cout << " launch(" << t["launch"].get<std::string>() << ")";
        std::cout << "  [" << t["device"].get<std::string>() << "]  "
                  << t["file"].get<std::string>() << ":" << t["line"].get<int>() << "\n";
    }
    return 0;
}

int cmd_build(be::Registry& registry, const std::vector<std::string>& inputs,
              const std::string& prefix, const std::string& arch, const std::string& device,
              const std::string& cpu_target, bool as_json) {
    check_cpu_target(cpu_target);
    if (!arch.empty())
        if (auto valid = be::normalize_cuda_arch(arch); !valid)
            fail(k_exit_invalid, "--arch " + arch + ": " + valid.error().message);
    // --device cuda-emu builds .cu files' CUDA emulation (otherwise compiled on its first use)
    // instead of NVRTC's binary; .cpp files build as usual.
    if (!device.empty()) {
        auto parsed = be::parse_device(device);
        if (!parsed) fail(k_exit_invalid, "--device " + device + ": " + parsed.error().message);
        if (*parsed != be::Device::cuda_emu)
            fail(k_exit_invalid, "--device " + device +
                                     ": build takes cuda-emu only (without --device, every file "
                                     "is built for its own device)");
    }
    // Every input is checked before anything compiles; then all files compile together, in
    // parallel (Registry::load_files), reported in the order given.
    std::vector<be::FileLoad> loads;
    for (const auto& name : inputs) {
        fs::path input(name);
        require_exists(input);
        be::LoadOptions options;
        options.cuda_arch = arch;
        options.emulation_only = !device.empty();
        options.cpu_target = cpu_target;
        if (fs::is_directory(input)) {
            auto dir = registry.dir_loads(
                input, prefix.empty() ? input.filename().string() : prefix, options);
            if (!dir) fail(k_exit_invalid, dir.error().full());
            loads.insert(loads.end(), dir->begin(), dir->end());
        } else {
            if (input.extension() != ".cpp" && input.extension() != ".cu")
                fail(k_exit_invalid, input.string() + ": not a kernel source (.cpp or .cu)");
            options.prefix = prefix;
            loads.push_back({input, options});
        }
    }
    std::vector<be::LoadReport> reports = registry.load_files(loads);
    for (const auto& name : inputs)
        std::cerr << "kernelctl: built " << name << "\n";
    json out = json::array();
    bool any_failed = false;
    std::vector<const be::LoadReport*> skipped, cached_only;
    for (const auto& r : reports) {
        if (r.backend == "cuda") note_cuda_status_once();
        // A .cu file with no architecture to compile for (no device, no --arch, no
        // BECORE_CUDA_ARCH) is not a failure: its targets are registered and compile once an
        // architecture is known. Nor is a CPU level this CPU cannot run: compiled and cached, as
        // asked, just not loaded. Real errors still win over both.
        const bool not_loaded = !r.error && r.deferred && r.backend != "cuda";
        const bool deferred = !r.error && r.deferred && !not_loaded;
        if (not_loaded) cached_only.push_back(&r);
        if (deferred) skipped.push_back(&r);
        any_failed |= r.error.has_value();
        std::string status = r.error       ? "failed"
                             : deferred    ? "skipped"
                             : r.cache_hit ? "hit"
                                           : "compiled";
        json base = {{"file", r.file},
                     {"status", status},
                     {"ms", r.milliseconds},
                     {"backend", r.backend},
                     {"arch", r.arch.empty() ? json(nullptr) : json(r.arch)}};
        if (r.phases)
            base["phases"] = {{"prelude", r.phases->prelude_source},
                              {"prelude_ms", 1e3 * r.phases->prelude},
                              {"frontend_ms", 1e3 * r.phases->frontend},
                              {"optimise_ms", 1e3 * r.phases->optimise},
                              {"emit_ms", 1e3 * r.phases->emit},
                              {"store_ms", 1e3 * r.phases->store}};
        if (r.error) base["error"] = r.error->full();
        if (deferred) base["reason"] = r.deferred->message;
        if (not_loaded) base["note"] = r.deferred->message;
        if (r.error && r.targets.empty()) {
            base["target"] = nullptr;
            out.push_back(base);
            continue;
        }
        for (const auto& t : r.targets) {
            json row = base;
            row["target"] = t;
            out.push_back(row);
        }
    }
    if (as_json) {
        print_json(out);
    } else {
        for (const auto& row : out) {
            if (row["status"] == "skipped") continue; // one line per file, below
            std::string backend = row["backend"].get<std::string>();
            if (!row["arch"].is_null()) backend += " " + row["arch"].get<std::string>();
            std::printf("%-9s %8.1f ms  %s  [%s]  (%s)\n", row["status"].get<std::string>().c_str(),
                        row["ms"].get<double>(),
                        row["target"].is_null() ? "-" : row["target"].get<std::string>().c_str(),
                        backend.c_str(), row["file"].get<std::string>().c_str());
            if (row.contains("error")) std::cerr << row["error"].get<std::string>() << "\n";
        }
        for (const be::LoadReport* r : cached_only)
            std::fprintf(stderr, "kernelctl: note: %s\n", r->deferred->message.c_str());
        for (const be::LoadReport* r : skipped)
            std::printf("skipped   %s: %zu CUDA target%s not compiled: no CUDA device to take an "
                        "architecture from; compile with --arch sm_XX (e.g. sm_90), "
                        "BECORE_CUDA_ARCH=sm_XX, or run them on the CPU with --device cuda-emu\n",
                        r->file.c_str(), r->targets.size(), r->targets.size() == 1 ? "" : "s");
    }
    return any_failed ? k_exit_failed : 0;
}

int cmd_call(be::Registry& registry, const CallOptions& o) {
    fs::path file(o.file);
    require_exists(file);
    for (const auto& a : o.args)
        require_exists(a);
    const std::string source = read_source(file);
    be::Device device = file_device(file, source);
    if (!o.device.empty()) {
        auto parsed = be::parse_device(o.device);
        if (!parsed) fail(k_exit_invalid, "--device " + o.device + ": " + parsed.error().message);
        device = *parsed;
    }
    if (file.extension() != ".cpp" && file.extension() != ".cu")
        fail(k_exit_invalid, file.string() + ": not a kernel source (.cpp or .cu)");
    // On cuda-emu a .cu file's emulation is all the call needs: no NVRTC, no architecture.
    be::LoadOptions load_options;
    load_options.emulation_only = device == be::Device::cuda_emu && file.extension() == ".cu";
    load_options.cpu_target = check_cpu_target(o.cpu_target);
    auto loaded = registry.load_file(file, load_options);
    if (!loaded) {
        // A file we cannot parse is bad input; one that does not compile is failed work.
        bool parsed = be::parse_annotations(source, file.string(), source_kind(file)).ok();
        fail(parsed ? k_exit_failed : k_exit_invalid, loaded.error().full());
    }
    const std::string target_name = file.stem().string() + "." + o.name;

    std::vector<be::HostArray> inputs;
    std::vector<BE::Tensor> arg_views;
    for (const auto& path : o.args) {
        auto array = be::read_npy(path);
        if (!array) fail(k_exit_invalid, array.error().full());
        inputs.push_back(std::move(array.value()));
    }
    for (const auto& a : inputs)
        arg_views.push_back(a.view());

    std::vector<be::HostArray> outputs;
    std::vector<BE::Tensor> ret_views;
    for (const auto& spec : o.rets) {
        auto colon = spec.rfind(':');
        if (colon == std::string::npos)
            fail(k_exit_invalid, "--ret " + spec + ": expected SHAPE:DTYPE, e.g. 4x8:float32");
        auto shape = be::parse_shape(spec.substr(0, colon));
        if (!shape) fail(k_exit_invalid, "--ret " + spec + ": " + shape.error().message);
        auto dtype = be::parse_dtype(spec.substr(colon + 1));
        if (!dtype)
            fail(k_exit_invalid,
                 "--ret " + spec + ": unknown dtype '" + spec.substr(colon + 1) + "'");
        auto array = be::HostArray::create(*dtype, *shape); // zero-filled
        if (!array) fail(k_exit_invalid, "--ret " + spec + ": " + array.error().message);
        outputs.push_back(std::move(array.value()));
    }
    for (auto& a : outputs)
        ret_views.push_back(a.view());

    auto target = ret_views.empty() ? registry.find(target_name)
                                    : registry.find(target_name, ret_views[0].dtype());
    if (!target) fail(k_exit_invalid, "call: " + file.string() + " has no target '" + o.name + "'");
    be::AttrMap attrs;
    for (const auto& text : o.attrs) {
        auto eq = text.find('=');
        if (eq == std::string::npos)
            fail(k_exit_invalid, "--attr " + text + ": expected NAME=VALUE");
        std::string key = text.substr(0, eq);
        const be::Param* declared = nullptr;
        for (const auto& p : target->signature().params)
            if (p.kind == be::ParamKind::attr && p.name == key) declared = &p;
        if (!declared)
            fail(k_exit_invalid,
                 "--attr " + text + ": " + target->name() + " has no attr '" + key + "'");
        auto value = be::parse_attr_value(*declared, text.substr(eq + 1));
        if (!value) fail(k_exit_invalid, "--attr " + text + ": " + value.error().message);
        attrs[key] = *value;
    }

    // On cuda-emu the tensors are the host arrays themselves, marked cuda-emu.
    if (device == be::Device::cuda_emu) {
        for (auto& view : arg_views)
            view.device_ = be::Device::cuda_emu;
        for (auto& view : ret_views)
            view.device_ = be::Device::cuda_emu;
    }
    // On cuda the inputs are copied to the device and the rets start as zero-filled device
    // arrays, copied back after the call.
    std::vector<be::DeviceArray> device_arrays;
    if (device == be::Device::cuda) {
        if (!be::cuda_status().available)
            fail(k_exit_failed, "call: no CUDA device: " + be::cuda_status().reason +
                                    " (--device cuda-emu runs .cu kernels in the CUDA "
                                    "emulation, on the CPU)");
        auto to_device = [&](const be::HostArray& host, BE::Tensor& view) {
            auto array = be::DeviceArray::from_host(host);
            if (!array) fail(k_exit_failed, array.error().full());
            view = array->view();
            device_arrays.push_back(std::move(array.value()));
        };
        for (size_t i = 0; i < inputs.size(); ++i)
            to_device(inputs[i], arg_views[i]);
        for (size_t i = 0; i < outputs.size(); ++i)
            to_device(outputs[i], ret_views[i]);
    }

    auto start = std::chrono::steady_clock::now();
    auto called = target->call(arg_views, ret_views, attrs);
    if (called && device == be::Device::cuda) called = be::cuda_synchronize(0);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!called) fail(k_exit_failed, called.error().full());
    for (size_t i = 0; device == be::Device::cuda && i < outputs.size(); ++i)
        if (auto copied = device_arrays[inputs.size() + i].copy_to(outputs[i]); !copied)
            fail(k_exit_failed, copied.error().full());

    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec) fail(k_exit_failed, "--out " + o.out_dir + ": " + ec.message());
    json written = json::array();
    for (size_t i = 0; i < outputs.size(); ++i) {
        auto path = fs::path(o.out_dir) / ("ret" + std::to_string(i) + ".npy");
        if (auto saved = be::write_npy(path, outputs[i].view()); !saved)
            fail(k_exit_failed, saved.error().full());
        written.push_back({{"path", path.string()},
                           {"shape", outputs[i].shape()},
                           {"dtype", std::string(be::dtype_name(outputs[i].dtype()))},
                           {"head", head_values(outputs[i].view())}});
    }
    json read = json::array();
    for (size_t i = 0; i < inputs.size(); ++i)
        read.push_back({{"path", o.args[i]},
                        {"shape", inputs[i].shape()},
                        {"dtype", std::string(be::dtype_name(inputs[i].dtype()))},
                        {"head", head_values(inputs[i].view())}});
    if (o.as_json) {
        print_json(
            {{"target", target->name()}, {"ms", ms}, {"inputs", read}, {"outputs", written}});
    } else {
        std::printf("%s: %.3f ms\n", target->name().c_str(), ms);
        for (const auto& [kind, list] : {std::pair{"arg", &read}, std::pair{"ret", &written}})
            for (size_t i = 0; i < list->size(); ++i) {
                const json& a = (*list)[i];
                std::printf("  %s %zu  %s %s  %s\n      %s\n", kind, i,
                            a["dtype"].get<std::string>().c_str(),
                            shape_text(a["shape"].get<std::vector<int64_t>>()).c_str(),
                            a["path"].get<std::string>().c_str(),
                            a["head"].get<std::string>().c_str());
            }
    }
    return 0;
}

int cmd_report(be::Registry& registry, bool as_json) {
    const be::RuntimeReport report = be::runtime_report(registry);
    if (as_json) {
        print_json(be::to_json(report));
        return 0;
    }
    std::string devices;
    for (const auto& d : report.devices)
        devices += (devices.empty() ? "" : ", ") + d;
    std::string levels;
    for (const auto& level : report.cpu_levels)
        levels += (levels.empty() ? "" : ", ") + level;
    std::printf("becore %s\nplatform: %s\ncpu: %s\ncpu target: %s; levels this CPU runs: %s\n"
                "toolchain: %s\ndevices: %s (default %s)\n",
                report.version.c_str(), report.platform.c_str(), report.cpu.c_str(),
                report.cpu_target_error.empty() ? report.cpu_target.c_str()
                                                : report.cpu_target_error.c_str(),
                levels.empty() ? "none" : levels.c_str(),
                report.versions.at("kernel_toolchain").c_str(), devices.c_str(),
                report.default_device.c_str());
    if (report.cuda.available) {
        for (const auto& d : report.cuda.devices)
            std::printf("cuda:%d  %s  %s\n", d.index, d.arch.c_str(), d.name.c_str());
    } else {
        std::printf("cuda: no CUDA device: %s\n", report.cuda.reason.c_str());
    }
    if (report.cuda.nvrtc_available)
        std::printf("nvrtc: %s (%s)\n", report.cuda.nvrtc_version.c_str(),
                    report.cuda.nvrtc_library.c_str());
    else
        std::printf("nvrtc: unavailable: %s\n", report.cuda.nvrtc_reason.c_str());
    std::printf("cache: %s\n",
                report.cache_directory.empty() ? "(in memory)" : report.cache_directory.c_str());
    return 0;
}

} // namespace kernelctl
