// A program outside becore's build, compiled against an installed prefix twice by
// tests/install/test_install.sh: with find_package(becore) and with `pkg-config becore`. It
// prints the home the runtime found and the final state of a small Kuramoto solve, which runs
// the built-in kernels (from the install's warmed cache).
#include <becore/frontends/kuramoto.h>
#include <becore/runtime/paths.h>

#include <cstdio>

int main() {
    auto net = be::kuramoto::default_network(16, 7);
    be::kuramoto::Options options;
    options.trajectory = false;
    auto theta = be::kuramoto::rk4(net.theta0, net.omega, net.K, 0.05, 10, options);
    std::printf("home %s\n", be::becore_home().c_str());
    for (int j = 0; j < 3; ++j)
        std::printf("theta[%d] %.17g\n", j, theta.data_as<double>()[j]);
    return 0;
}
