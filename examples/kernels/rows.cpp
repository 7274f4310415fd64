// Example kernels: the CPU twins of rows.cu. Loaded under the same prefix (the file stem, "rows",
// or one load_dir prefix), rows.cpp and rows.cu form one target per name, with cpu, cuda and
// cuda-emu implementations.

// @BE clamp_rows
void clamp_rows(BE::Tensor& m, float limit) {
    BE_CHECK(m.ndim() == 2 && m.dtype() == BE::DType::float32, "m must be a 2-D float32 tensor");
    for (int64_t r = 0; r < m.size(0); ++r)
        for (int64_t c = 0; c < m.size(1); ++c) {
            float& v = m.data_ptr<float>()[r * m.stride(0) + c * m.stride(1)];
            v = v > limit ? limit : v < -limit ? -limit : v;
        }
}

// @BE iota
void iota(BE::Tensor& out, int64_t count, float start) {
    BE_CHECK(out.dtype() == BE::DType::float32, "out must be float32");
    for (int64_t i = 0; i < count && i < out.numel(); ++i)
        out.data_ptr<float>()[i] = start + static_cast<float>(i);
}
