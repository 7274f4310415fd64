// Example CUDA kernel: the GPU twin of parallel_sum.cpp's row_sum, a reduction through shared
// memory. One block per row (blocks=matrix.size(0)); its 256 threads each sum a strided slice of
// the row, then halve the partial sums in shared memory (smem = 256 doubles = 2048 bytes) until
// one is left. The summation order differs from the CPU twin's, so results agree to rounding.

// @BE row_sum arg:float64 ret:float64 launch(blocks=matrix.size(0), block=256, smem=2048)
__global__ void row_sum(const BE::Tensor matrix, BE::Tensor sums) {
    extern __shared__ double partial[]; // blockDim.x entries
    const int64_t row = blockIdx.x, cols = matrix.size(1);
    const double* m = matrix.data_ptr<double>() + row * matrix.stride(0);
    double s = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
        s += m[c * matrix.stride(1)];
    partial[threadIdx.x] = s;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) sums.data_ptr<double>()[row] = partial[0];
}
