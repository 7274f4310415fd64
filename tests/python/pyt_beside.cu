// A .cu file shipped beside a Python module (tests/python/test_load.py loads it with
// becore.load_cuda_file); without a GPU it runs in the CUDA emulation.

// @BE square launch(threads=x.numel())
__global__ void square(const BE::Tensor x, BE::Tensor y) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < x.numel()) y.data_ptr<float>()[i] = x.data_ptr<float>()[i] * x.data_ptr<float>()[i];
}
