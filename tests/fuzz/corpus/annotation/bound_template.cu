// @BE g_f32 = g<float, 2> arg:float32 ret:float32 attr.n:int64 launch(blocks=n, block=64, smem=1024)
template <typename T, int K> __global__ void g(const BE::Tensor x, BE::Tensor y, int64_t n) {}
