// kernelctl commands that parse, build and call kernels.
#include "kernelctl.h"

#include <becore/registry/annotation.h>
#include <becore/runtime/array.h>
#include <becore/runtime/dtype.h>
#include <becore/runtime/npy.h>

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

} // namespace

int cmd_targets(const std::vector<std::string>& files, bool as_json) {
    json out = json::array();
    for (const auto& name : files) {
        fs::path file(name);
        require_exists(file);
        auto signatures =
            be::parse_annotations(read_source(file), file.string(), be::SourceKind::cpp);
        if (!signatures) fail(k_exit_invalid, signatures.error().full());
        for (const auto& s : *signatures) {
            json params = json::array();
            for (const auto& p : s.params)
                params.push_back(param_json(p));
            out.push_back({{"name", file.stem().string() + "." + s.name},
                           {"file", file.string()},
                           {"line", s.line},
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
        std::cout << t["name"].get<std::string>() << "(" << params << ")  "
                  << t["file"].get<std::string>() << ":" << t["line"].get<int>() << "\n";
    }
    return 0;
}

int cmd_build(be::Registry& registry, const std::vector<std::string>& inputs,
              const std::string& prefix, bool as_json) {
    std::vector<be::LoadReport> reports;
    for (const auto& name : inputs) {
        fs::path input(name);
        require_exists(input);
        if (fs::is_directory(input)) {
            auto loaded =
                registry.load_dir(input, prefix.empty() ? input.filename().string() : prefix);
            if (!loaded) fail(k_exit_invalid, loaded.error().full());
            for (auto& r : *loaded)
                reports.push_back(std::move(r));
        } else {
            be::LoadOptions options;
            options.prefix = prefix;
            auto loaded = registry.load_cpp_file(input, options);
            if (loaded) {
                reports.push_back(std::move(loaded.value()));
            } else {
                be::LoadReport failed;
                failed.file = input.string();
                failed.error = loaded.error();
                reports.push_back(std::move(failed));
            }
        }
        std::cerr << "kernelctl: built " << input.string() << "\n";
    }
    json out = json::array();
    bool any_failed = false;
    for (const auto& r : reports) {
        any_failed |= r.error.has_value();
        std::string status = r.error ? "failed" : (r.cache_hit ? "hit" : "compiled");
        if (r.error && r.targets.empty()) {
            out.push_back({{"target", nullptr},
                           {"file", r.file},
                           {"status", status},
                           {"ms", r.milliseconds},
                           {"error", r.error->full()}});
            continue;
        }
        for (const auto& t : r.targets) {
            json row = {
                {"target", t}, {"file", r.file}, {"status", status}, {"ms", r.milliseconds}};
            if (r.error) row["error"] = r.error->full();
            out.push_back(row);
        }
    }
    if (as_json) {
        print_json(out);
    } else {
        for (const auto& row : out) {
            std::printf("%-9s %8.1f ms  %s  (%s)\n", row["status"].get<std::string>().c_str(),
                        row["ms"].get<double>(),
                        row["target"].is_null() ? "-" : row["target"].get<std::string>().c_str(),
                        row["file"].get<std::string>().c_str());
            if (row.contains("error")) std::cerr << row["error"].get<std::string>() << "\n";
        }
    }
    return any_failed ? k_exit_failed : 0;
}

int cmd_call(be::Registry& registry, const CallOptions& o) {
    fs::path file(o.file);
    require_exists(file);
    for (const auto& a : o.args)
        require_exists(a);
    auto loaded = registry.load_cpp_file(file);
    if (!loaded) {
        // A file we cannot parse is bad input; one that does not compile is failed work.
        bool parsed =
            be::parse_annotations(read_source(file), file.string(), be::SourceKind::cpp).ok();
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

    auto start = std::chrono::steady_clock::now();
    auto called = target->call(arg_views, ret_views, attrs);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!called) fail(k_exit_failed, called.error().full());

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
                           {"dtype", std::string(be::dtype_name(outputs[i].dtype()))}});
    }
    if (o.as_json) {
        print_json({{"target", target->name()}, {"ms", ms}, {"outputs", written}});
    } else {
        std::printf("%s: %.3f ms\n", target->name().c_str(), ms);
        for (const auto& w : written)
            std::printf("  wrote %s\n", w["path"].get<std::string>().c_str());
    }
    return 0;
}

} // namespace kernelctl
