// a comment \
// @BE joined
void joined(BE::Tensor& y) {}
// @BE crlf
void crlf(BE::Tensor& y) {}
