// Example CUDA kernels: the GPU twins of scale.cpp. Loaded under the same prefix (the file stem,
// "scale", or one load_dir prefix), scale.cu and scale.cpp form one target per name with a cpu and
// a cuda implementation; a call runs the one of the device its tensors are on.
//
// Elementwise, one thread per element: launch(threads=x.numel()) starts ceil(numel / 256) blocks
// of 256 threads, and the guard leaves the surplus threads of the last block idle.

// @BE scale_f32 = scale<float> arg:float32 ret:float32 attr.alpha:float64 launch(threads=x.numel())
// @BE scale_f64 = scale<double> arg:float64 ret:float64 attr.alpha:float64 launch(threads=x.numel())
template <typename T> __global__ void scale(const BE::Tensor x, BE::Tensor y, double alpha) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < x.numel() && i < y.numel()) y.data_ptr<T>()[i] = static_cast<T>(alpha * x.data_ptr<T>()[i]);
}

// @BE axpy launch(threads=x.numel(), block=128)
__global__ void axpy(const BE::Tensor x, BE::Tensor y, float a) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < x.numel() && i < y.numel()) y.data_ptr<float>()[i] += a * x.data_ptr<float>()[i];
}
