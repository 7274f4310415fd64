// A CUDA kernel file shipped with libdownstream_kernels: y[i] = a * x[i] + b, one thread per
// element. Without a GPU it runs in becore's CUDA emulation (device cuda-emu).

// @BE affine launch(threads=x.numel())
__global__ void affine(const BE::Tensor x, BE::Tensor y, float a, float b) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < x.numel() && i < y.numel()) y.data_ptr<float>()[i] = a * x.data_ptr<float>()[i] + b;
}
