// besim's output directories: `--out DIR` must be new or empty unless --force, and a failed run
// leaves nothing half-written. Every file is written into a staging directory beside DIR
// (`<parent>/.<name>.besim-tmp-<pid>-<n>`), which replaces DIR by rename only once the writer has
// finished: a reader sees the old DIR (or none) or the complete new one, never a mix. (A process
// killed mid-write leaves its hidden staging directory, named by its pid, beside DIR; nothing
// removes it automatically.)
//
//   besim::check_output_dir(out, force);                       // early, before any long work
//   ...
//   besim::write_outputs_atomically(out, force, [&](const std::filesystem::path& staging) {
//       besim::write_signals(staging, signals);
//       besim::write_json(staging / "extra.json", extra);
//   });
//
// Failures are thrown as besim::Failure: k_exit_invalid for an unusable DIR (a non-empty
// directory without --force, a file, a symbolic link), k_exit_failed when writing fails.
#pragma once

#include <becore/frontends/signals.h>
#include <becore/runtime/array.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace besim {

// Checks that DIR can be written: it does not exist, or is an empty directory, or (with force)
// any directory. Creates nothing. Throws Failure{k_exit_invalid} naming DIR and why.
void check_output_dir(const std::filesystem::path& dir, bool force);

// check_output_dir, then creates DIR's missing parents and a fresh staging directory beside DIR,
// calls writer(staging), syncs, and puts the staging directory in DIR's place: by rename when DIR
// does not exist or is empty, by an atomic exchange (renameat2 RENAME_EXCHANGE, else two renames)
// when --force replaces a non-empty DIR, whose old content is then removed. If the writer throws,
// the staging directory is removed, DIR is untouched and the exception propagates.
void write_outputs_atomically(const std::filesystem::path& dir, bool force,
                              const std::function<void(const std::filesystem::path&)>& writer);

// Writers for use inside the writer callback; each throws Failure{k_exit_failed} naming the file.
void write_npy(const std::filesystem::path& path, const be::HostArray& array);
void write_npy(const std::filesystem::path& path, const std::vector<double>& values);  // [n]
void write_npy(const std::filesystem::path& path, const std::vector<int32_t>& values); // [n]
void write_json(const std::filesystem::path& path, const nlohmann::json& document);    // indent 2

// The Signals files into `dir`: always spikes_t_ms.npy (float64) and spikes_i.npy (int32), and
// metadata.json; v_m.npy, lfp_proxy.npy and csd_proxy.npy when present (an empty array, shape
// {0}, means not probed). Returns the names written, in that order.
std::vector<std::string> write_signals(const std::filesystem::path& dir,
                                       const be::Signals& signals);

} // namespace besim
