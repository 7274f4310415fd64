// Example CUDA kernels whose launch geometry comes from an extent and from an attr.
//
// clamp_rows: one block per row of a 2-D tensor (blocks=m.size(0)); the block's 128 threads
// stride over the row's columns, clamping each value in place to [-limit, limit].
//
// iota: out[i] = start + i for the first `count` elements (threads=count: an integer attr gives
// the number of threads).

// @BE clamp_rows launch(blocks=m.size(0), block=128)
__global__ void clamp_rows(BE::Tensor m, float limit) {
    float* row = m.data_ptr<float>() + blockIdx.x * m.stride(0);
    for (int64_t c = threadIdx.x; c < m.size(1); c += blockDim.x) {
        float& v = row[c * m.stride(1)];
        v = v > limit ? limit : v < -limit ? -limit : v;
    }
}

// @BE iota launch(threads=count)
__global__ void iota(BE::Tensor out, int64_t count, float start) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < count && i < out.numel()) out.data_ptr<float>()[i] = start + static_cast<float>(i);
}
