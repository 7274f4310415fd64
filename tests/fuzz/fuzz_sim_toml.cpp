// The simulator's TOML configuration (frontends/src/sim_toml.cpp, toml++ beneath it), as
// `besim run CONFIG` reads it. Bad input throws be::Exception naming the key; anything else
// escaping is a finding.
#include "fuzz_check.h"

#include <becore/frontends/simulator.h>
#include <becore/runtime/error.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        (void)be::Configuration::from_toml_string(std::string(fuzz::text(data, size)), "fuzz.toml");
    } catch (const be::Exception& e) {
        FUZZ_CHECK(std::string_view(e.what()).find("fuzz.toml") != std::string_view::npos);
    }
    return 0;
}
