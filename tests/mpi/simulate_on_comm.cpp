// A downstream MPI program embedding the simulator (BesimMpi.TheApiRunsOnACommunicator): every
// rank runs be::simulate on MPI_COMM_WORLD, then the whole network in one process, and checks
// that the two Signals agree bit for bit. Prints one line per rank; exit 0 when they agree.
#include <becore/frontends/simulator_mpi.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const be::Configuration config = be::Configuration::preset("coba").duration(50).threads(1);
    int status = 0;
    try {
        const be::Signals split = be::simulate(config, MPI_COMM_WORLD);
        const be::Signals whole = be::simulate(be::construct(config));
        const bool same =
            split.spike_ids == whole.spike_ids && split.spike_times_ms == whole.spike_times_ms;
        std::printf("rank %d: %zu spikes, %s\n", rank, split.spike_ids.size(),
                    same ? "the same as one process" : "DIFFERENT from one process");
        status = same && !whole.spike_ids.empty() ? 0 : 1;
    } catch (const be::Exception& e) {
        std::printf("rank %d: %s\n", rank, e.error().full().c_str());
        status = 1;
    }
    MPI_Finalize();
    return status;
}
