// The synaptic delivery of simulate() (sim_delivery.h).
#include "sim_delivery.h"

#include <becore/frontends/builtins.h>

#include <algorithm>
#include <cmath>

namespace be::sim_loop {

HostArray make_array(DType dtype, std::vector<int64_t> shape) {
    auto array = HostArray::create(dtype, std::move(shape));
    if (!array) throw Exception(array.error());
    return std::move(*array);
}

BE::Tensor slice(const HostArray& a, int64_t row, int64_t first, int64_t count, Device device) {
    const int64_t width = a.ndim() == 2 ? a.shape()[1] : a.shape()[0];
    BE::Tensor t;
    t.data = static_cast<char*>(const_cast<void*>(a.data())) +
             (row * width + first) * dtype_size(a.dtype());
    t.dtype_ = a.dtype();
    t.device_ = device;
    t.rank = 1;
    t.shape[0] = count;
    t.strides[0] = 1;
    return t;
}

void check(const Result<void>& r) {
    if (!r) throw Exception(r.error());
}

namespace {

// The first `count` elements of `from` added into row `row` of the ring from column `at`.
template <typename T>
void add_into(const HostArray& from, int64_t count, HostArray& ring, int64_t row, int64_t at) {
    const T* src = from.data_as<T>();
    T* dst = ring.data_as<T>() + row * ring.shape()[1] + at;
    for (int64_t i = 0; i < count; ++i)
        dst[i] += src[i];
}

// The JITC window target of a pathway: spikes bool [source.count] -> out [local.count], the
// columns of this rank's targets.
PreparedCall prepare_jitc_window(const BuiltPathway& p, const Jitc& conn, Device device) {
    const int64_t col0 = p.local.first - p.target.first;
    const AttrMap attrs{{"seed", static_cast<int64_t>(conn.seed())},
                        {"rows", conn.rows()},
                        {"cols", conn.cols()},
                        {"p", conn.p()},
                        {"w0", conn.w0()},
                        {"w1", conn.w1()},
                        {"col0", col0},
                        {"col1", col0 + p.local.count}};
    const DType arg_dtypes[] = {DType::bool_};
    const DType ret_dtypes[] = {conn.dtype()};
    const std::string name = "be.sim_jitc_" + conn.kind() + "_deliver" +
                             (conn.dtype() == DType::float32 ? "_f32" : "_f64");
    auto call = builtin_registry().prepare(name, device, arg_dtypes, ret_dtypes, attrs);
    if (!call) throw Exception(call.error());
    return std::move(*call);
}

// A delivery may overwrite its target range of slot t + delay when that range is still all zero
// there, i.e. no other delivery in the same channel with an overlapping target range writes the
// slot before it: none with a longer delay (it ran at an earlier step) and none with the same
// delay earlier in the list. Inputs add to slot t at step t, after every delivery into it. Then
// 0 + (the kernel's sum) is the sum itself and the direct write equals scratch-then-add bit for
// bit; every other delivery keeps the scratch.
void direct_deliveries(std::vector<Delivery>& deliveries) {
    for (size_t k = 0; k < deliveries.size(); ++k) {
        const BuiltPathway& p = *deliveries[k].pathway;
        bool direct = true;
        for (size_t o = 0; o < deliveries.size() && direct; ++o) {
            if (o == k) continue;
            const BuiltPathway& q = *deliveries[o].pathway;
            const bool overlap = q.channel == p.channel &&
                                 q.target.first < p.target.first + p.target.count &&
                                 p.target.first < q.target.first + q.target.count;
            const bool before = deliveries[o].delay_steps > deliveries[k].delay_steps ||
                                (deliveries[o].delay_steps == deliveries[k].delay_steps && o < k);
            direct = !(overlap && before);
        }
        deliveries[k].direct = direct;
    }
}

} // namespace

std::vector<Delivery> prepare_deliveries(const Model::Impl& m, double dt, Device device,
                                         DType dtype) {
    std::vector<Delivery> deliveries;
    for (const BuiltPathway& p : m.pathways) {
        Delivery del{.pathway = &p};
        del.delay_steps = std::max<int64_t>(1, std::llround(p.delay_ms / dt));
        if (p.local.count > 0) {
            if (const auto* jitc = std::get_if<std::shared_ptr<Jitc>>(&p.conn))
                del.jitc = prepare_jitc_window(p, **jitc, device);
            else
                std::visit(
                    [&](const auto& conn) {
                        del.plan = prepare_event_matvec(*conn, DType::bool_, false, device);
                    },
                    p.conn);
        }
        deliveries.push_back(std::move(del));
    }
    direct_deliveries(deliveries);
    for (Delivery& del : deliveries)
        if (del.pathway->local.count > 0 && !del.direct)
            del.scratch = make_array(dtype, {del.pathway->local.count});
    return deliveries;
}

void deliver(const Delivery& del, const HostArray& spikes_all, HostArray (&ring)[2], int64_t t,
             int64_t slots, int64_t own_first, Device device) {
    const BuiltPathway& p = *del.pathway;
    const BE::Tensor src = slice(spikes_all, 0, p.source.first, p.source.count, device);
    const int64_t target_slot = (t + del.delay_steps) % slots;
    const int64_t at = p.local.first - own_first;
    const auto run = [&](BE::Tensor& out) {
        if (del.jitc)
            check(del.jitc.invoke({&src, 1}, {&out, 1}));
        else
            del.plan.run(src, out);
    };
    if (del.direct) {
        BE::Tensor out = slice(ring[p.channel], target_slot, at, p.local.count, device);
        run(out);
        return;
    }
    BE::Tensor out = slice(del.scratch, 0, 0, del.scratch.numel(), device);
    run(out);
    if (del.scratch.dtype() == DType::float32)
        add_into<float>(del.scratch, p.local.count, ring[p.channel], target_slot, at);
    else
        add_into<double>(del.scratch, p.local.count, ring[p.channel], target_slot, at);
}

} // namespace be::sim_loop
