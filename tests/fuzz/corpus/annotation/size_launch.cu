// @BE h launch(threads=x.size(1))
__global__ void h(const BE::Tensor x, BE::Tensor y) {}
