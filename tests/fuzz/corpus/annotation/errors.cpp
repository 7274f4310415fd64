// @BE bad arg:float33 ret
void bad(const BE::Tensor& x, BE::Tensor& y) {}
// @BE twice stream stream ret
void twice(int64_t a, int64_t b, BE::Tensor& y) {}
