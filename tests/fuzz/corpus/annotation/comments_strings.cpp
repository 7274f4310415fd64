/* // @BE hidden */
const char* s = R"x(
// @BE raw
)x";
// @BE real // trailing
void real(BE::Tensor& y) { BE::cuda_launch(0); }
