#include <becore/runtime/runtime_config.h>

#include <string>

namespace be {

RuntimeConfig RuntimeConfig::with_seed(uint64_t value) const {
    RuntimeConfig copy = *this;
    copy.seed = value;
    return copy;
}

RuntimeConfig RuntimeConfig::with_dtype(DType value) const {
    RuntimeConfig copy = *this;
    copy.dtype = value;
    return copy;
}

RuntimeConfig RuntimeConfig::with_device(Device value) const {
    RuntimeConfig copy = *this;
    copy.device = value;
    return copy;
}

RuntimeConfig RuntimeConfig::with_threads(int value) const {
    RuntimeConfig copy = *this;
    copy.threads = value;
    return copy;
}

Result<void> RuntimeConfig::validate() const {
    if (dtype != DType::float32 && dtype != DType::float64)
        return make_error(ErrorCode::invalid_argument,
                          "RuntimeConfig: dtype must be float32 or float64, not " +
                              std::string(dtype_name(dtype)));
    if (threads < 0)
        return make_error(ErrorCode::invalid_argument,
                          "RuntimeConfig: threads must be 0 (all cores) or positive, not " +
                              std::to_string(threads));
    if (device_name(device) == "invalid")
        return make_error(ErrorCode::invalid_argument,
                          "RuntimeConfig: device " + std::to_string(static_cast<int>(device)) +
                              " is not a device");
    return {};
}

} // namespace be
