// MpiExchange: the SpikeExchange of simulator_mpi.h over MPI. Every failure of an MPI call is
// fatal to the job (MPI's default error handler), so none is checked here.
#include <becore/frontends/simulator_mpi.h>

#include <becore/runtime/error.h>

namespace be {

namespace {

template <typename T>
void gather(MPI_Comm comm, MPI_Datatype type, const std::vector<T>& mine, std::vector<T>& all,
            std::vector<int>& counts, std::vector<int>& offsets, int size) {
    const int count = static_cast<int>(mine.size());
    counts.resize(static_cast<size_t>(size));
    MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
    offsets.resize(static_cast<size_t>(size));
    int64_t total = 0;
    for (int q = 0; q < size; ++q) {
        offsets[static_cast<size_t>(q)] = static_cast<int>(total);
        total += counts[static_cast<size_t>(q)];
    }
    if (total > INT32_MAX)
        throw Exception(make_error(ErrorCode::unavailable,
                                   "simulate: more than 2^31 values in one spike exchange"));
    all.resize(static_cast<size_t>(total));
    MPI_Allgatherv(mine.data(), count, type, all.data(), counts.data(), offsets.data(), type, comm);
}

} // namespace

MpiExchange::MpiExchange(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
}

void MpiExchange::all_gather(const std::vector<int32_t>& mine, std::vector<int32_t>& all,
                             std::vector<int>& counts) {
    gather(comm_, MPI_INT32_T, mine, all, counts, offsets_, size_);
}

void MpiExchange::all_gather(const std::vector<double>& mine, std::vector<double>& all,
                             std::vector<int>& counts) {
    gather(comm_, MPI_DOUBLE, mine, all, counts, offsets_, size_);
}

int64_t MpiExchange::sum(int64_t mine) {
    int64_t total = 0;
    MPI_Allreduce(&mine, &total, 1, MPI_INT64_T, MPI_SUM, comm_);
    return total;
}

Signals simulate(const Configuration& configuration, MPI_Comm comm,
                 const SimulateOptions& options) {
    MpiExchange exchange(comm);
    const Model model = construct(configuration, exchange);
    return simulate(model, options, exchange);
}

} // namespace be
