// A fake CUDA driver (libfake_cuda.so) for tests without a GPU, selected with
// BECORE_LIBCUDA_PATH. It implements the driver entry points becore uses (the table in
// runtime/src/cuda_symbols.h) over a pretend device whose "device memory" is host memory, runs no
// kernel, and records what becore asked for, one JSON object per line, in the file named by
// FAKE_CUDA_LOG (read at every call, so a test can switch logs):
//
//   {"call":"cuModuleLoadData","kind":"cubin"|"ptx","bytes":N,"result":R,"functions":[...]}
//   {"call":"cuModuleGetFunction","name":"...","result":R}
//   {"call":"cuLaunchKernel","function":"...","grid":[x,y,z],"block":[x,y,z],"smem":N,
//    "stream":N,"param_sizes":[...],"param_offsets":[...],"params":"<hex of the param buffer>"}
//   {"call":"cuFuncSetAttribute","attribute":A,"value":V}, cuMemAlloc/cuMemcpyHtoD/... with "bytes"
//
// The kernel parameter layout is read from the loaded image the way the real driver knows it:
// from a CUBIN's .nv.info.<kernel> section (EIATTR_KPARAM_INFO records: ordinal, offset, size),
// or from the PTX .entry's .param list. The recorded "params" is then exactly the buffer a real
// driver would copy to the device, so tests can assert the argument bytes.
//
// Knobs (environment, read when used):
//   FAKE_CUDA_ARCH=90        compute capability reported (major = all digits but the last)
//   FAKE_CUDA_DEVICES=1      device count
//   FAKE_CUDA_INIT_RESULT=0  what cuInit returns (e.g. 100, CUDA_ERROR_NO_DEVICE)
//   FAKE_CUDA_REJECT=spec    module loads to refuse: "cubin", "ptx", "cubin,ptx", or with a count
//                            "cubin:1,ptx:1" (the first N loads of that kind while the spec is set;
//                            the counts restart when the spec changes). A refused CUBIN returns
//                            CUDA_ERROR_NO_BINARY_FOR_GPU (209), a refused PTX
//                            CUDA_ERROR_INVALID_PTX.
//
// The entry points are declared with the runtime's own ABI types (cuda_symbols.h), so that each
// has exactly the type the runtime calls it through: UBSan's -fsanitize=function checks that at
// every call in the sanitized build (a `void**` where the runtime passes a `CUcontext*` fails
// it). The handles stay opaque: they point at this file's Context, Module and Function.
#include "cuda_symbols.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

using be::cuda_abi::CUcontext;
using be::cuda_abi::CUdevice;
using be::cuda_abi::CUdeviceptr;
using be::cuda_abi::CUfunction;
using be::cuda_abi::CUmodule;
using be::cuda_abi::CUresult;
using be::cuda_abi::CUstream;

namespace {

struct Param {
    uint32_t offset = 0, size = 0;
};
struct Function {
    std::string name;
    std::vector<Param> params; // by ordinal
};
struct Module {
    std::map<std::string, Function> functions;
};
struct Context {
    int device = 0;
};

std::mutex g_mutex;
thread_local Context* g_current = nullptr;
Context g_contexts[16];
std::string g_reject_spec;
std::map<std::string, int> g_rejected; // kind → loads refused under the current spec

std::string env(const char* name, const char* fallback = "") {
    const char* v = std::getenv(name);
    return v != nullptr ? v : fallback;
}

void log_line(const std::string& json) {
    const std::string path = env("FAKE_CUDA_LOG");
    if (path.empty()) return;
    std::lock_guard lock(g_mutex);
    if (FILE* f = std::fopen(path.c_str(), "a")) {
        std::fprintf(f, "%s\n", json.c_str());
        std::fclose(f);
    }
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string hex(const unsigned char* data, size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

template <typename T> T read(const unsigned char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// ---- CUBIN: ELF64 sections; .nv.info.<kernel> holds the parameter records -------------------

size_t elf_size(const unsigned char* image) {
    const uint64_t shoff = read<uint64_t>(image + 0x28);
    const uint16_t shentsize = read<uint16_t>(image + 0x3a), shnum = read<uint16_t>(image + 0x3c);
    return shoff + size_t(shentsize) * shnum;
}

Module parse_cubin(const unsigned char* image) {
    Module module;
    const uint64_t shoff = read<uint64_t>(image + 0x28);
    const uint16_t shentsize = read<uint16_t>(image + 0x3a), shnum = read<uint16_t>(image + 0x3c);
    const uint16_t shstrndx = read<uint16_t>(image + 0x3e);
    auto section = [&](int i) { return image + shoff + size_t(i) * shentsize; };
    const unsigned char* names = image + read<uint64_t>(section(shstrndx) + 0x18);
    for (int i = 0; i < shnum; ++i) {
        const std::string name = reinterpret_cast<const char*>(names + read<uint32_t>(section(i)));
        const unsigned char* data = image + read<uint64_t>(section(i) + 0x18);
        const uint64_t size = read<uint64_t>(section(i) + 0x20);
        if (name.rfind(".text.", 0) == 0) {
            module.functions[name.substr(6)].name = name.substr(6);
        } else if (name.rfind(".nv.info.", 0) == 0) {
            Function& f = module.functions[name.substr(9)];
            f.name = name.substr(9);
            // Records: format u8, attribute u8, then a u16 value (HVAL, NVAL, BVAL) or a u16
            // size followed by that many bytes (SVAL, format 4).
            for (uint64_t at = 0; at + 4 <= size;) {
                const unsigned char format = data[at], attribute = data[at + 1];
                const uint16_t value = read<uint16_t>(data + at + 2);
                if (format == 4) {
                    if (attribute == 0x17 && value >= 12) { // EIATTR_KPARAM_INFO
                        const uint16_t ordinal = read<uint16_t>(data + at + 8);
                        const uint16_t offset = read<uint16_t>(data + at + 10);
                        const uint32_t flags = read<uint32_t>(data + at + 12);
                        if (f.params.size() <= ordinal) f.params.resize(ordinal + 1);
                        f.params[ordinal] = {offset, (flags >> 18) & 0x3fff};
                    }
                    at += 4 + value;
                } else {
                    at += 4;
                }
            }
        }
    }
    return module;
}

// ---- PTX: `.entry name(.param .align A .b8 name_param_0[N], .param .u32 name_param_1, ...)` --

uint32_t ptx_type_size(const std::string& type) {
    const std::string bits = type.substr(2);
    return static_cast<uint32_t>(std::atoi(bits.c_str()) / 8);
}

Module parse_ptx(const std::string& ptx) {
    Module module;
    for (size_t at = ptx.find(".entry "); at != std::string::npos;
         at = ptx.find(".entry ", at + 1)) {
        const size_t open = ptx.find('(', at), close = ptx.find(')', at);
        Function f;
        f.name = ptx.substr(at + 7, open - at - 7);
        while (!f.name.empty() && f.name.back() == ' ')
            f.name.pop_back();
        uint32_t offset = 0;
        for (size_t p = ptx.find(".param", open); p != std::string::npos && p < close;
             p = ptx.find(".param", p + 1)) {
            const size_t end = ptx.find_first_of(",)", p);
            const std::string decl = ptx.substr(p, end - p);
            uint32_t size = 0, align = 0;
            if (size_t a = decl.find(".align "); a != std::string::npos) {
                align = static_cast<uint32_t>(std::atoi(decl.c_str() + a + 7));
                size = static_cast<uint32_t>(std::atoi(decl.c_str() + decl.find('[') + 1));
            } else {
                const size_t type = decl.find('.', 6);
                size = align = ptx_type_size(decl.substr(type, decl.find(' ', type) - type));
            }
            offset = (offset + align - 1) / align * align;
            f.params.push_back({offset, size});
            offset += size;
        }
        module.functions[f.name] = f;
    }
    return module;
}

// Whether the current FAKE_CUDA_REJECT spec refuses this load of `kind`.
bool rejected(const std::string& kind) {
    std::lock_guard lock(g_mutex);
    const std::string spec = env("FAKE_CUDA_REJECT");
    if (spec != g_reject_spec) {
        g_reject_spec = spec;
        g_rejected.clear();
    }
    size_t at = 0;
    while (at <= spec.size() && !spec.empty()) {
        const size_t comma = std::min(spec.find(',', at), spec.size());
        const std::string item = spec.substr(at, comma - at);
        const size_t colon = item.find(':');
        if (item.substr(0, colon) == kind) {
            const int limit = colon == std::string::npos ? -1 : std::atoi(item.c_str() + colon + 1);
            if (limit < 0 || g_rejected[kind] < limit) {
                ++g_rejected[kind];
                return true;
            }
        }
        at = comma + 1;
    }
    return false;
}

} // namespace

extern "C" {

CUresult cuInit(unsigned int) {
    const CUresult result = std::atoi(env("FAKE_CUDA_INIT_RESULT", "0").c_str());
    log_line("{\"call\":\"cuInit\",\"result\":" + std::to_string(result) + "}");
    return result;
}

CUresult cuGetErrorName(CUresult code, const char** name) {
    switch (code) {
    case 0:
        *name = "CUDA_SUCCESS";
        return 0;
    case 1:
        *name = "CUDA_ERROR_INVALID_VALUE";
        return 0;
    case 100:
        *name = "CUDA_ERROR_NO_DEVICE";
        return 0;
    case 209:
        *name = "CUDA_ERROR_NO_BINARY_FOR_GPU";
        return 0;
    case 218:
        *name = "CUDA_ERROR_INVALID_PTX";
        return 0;
    case 500:
        *name = "CUDA_ERROR_NOT_FOUND";
        return 0;
    default:
        *name = nullptr;
        return 1;
    }
}

CUresult cuDeviceGetCount(int* count) {
    *count = std::atoi(env("FAKE_CUDA_DEVICES", "1").c_str());
    return 0;
}

CUresult cuDeviceGet(CUdevice* device, int ordinal) {
    *device = ordinal;
    return 0;
}

CUresult cuDeviceGetName(char* name, int length, CUdevice device) {
    std::snprintf(name, length, "becore fake device %d", device);
    return 0;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice) {
    const int cc = std::atoi(env("FAKE_CUDA_ARCH", "90").c_str());
    if (attribute == 75)
        *value = cc / 10; // COMPUTE_CAPABILITY_MAJOR
    else if (attribute == 76)
        *value = cc % 10;
    else
        return 1;
    return 0;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device) {
    g_contexts[device].device = device;
    *context = reinterpret_cast<CUcontext>(&g_contexts[device]);
    return 0;
}

CUresult cuCtxSetCurrent(CUcontext context) {
    g_current = reinterpret_cast<Context*>(context);
    return 0;
}

CUresult cuModuleLoadData(CUmodule* module, const void* image) {
    const auto* bytes = static_cast<const unsigned char*>(image);
    static const unsigned char elf_magic[4] = {0x7f, 'E', 'L', 'F'};
    const bool cubin = std::memcmp(bytes, elf_magic, 4) == 0;
    const std::string kind = cubin ? "cubin" : "ptx";
    const size_t size = cubin ? elf_size(bytes) : std::strlen(static_cast<const char*>(image));
    CUresult result = 0;
    std::string functions;
    if (rejected(kind)) {
        result = cubin ? 209 : 218;
    } else {
        auto* m =
            new Module(cubin ? parse_cubin(bytes) : parse_ptx(static_cast<const char*>(image)));
        for (const auto& [name, f] : m->functions)
            functions += (functions.empty() ? "" : ",") + quoted(name);
        *module = reinterpret_cast<CUmodule>(m);
    }
    log_line("{\"call\":\"cuModuleLoadData\",\"kind\":\"" + kind +
             "\",\"bytes\":" + std::to_string(size) + ",\"result\":" + std::to_string(result) +
             ",\"device\":" + std::to_string(g_current ? g_current->device : -1) +
             ",\"functions\":[" + functions + "]}");
    return result;
}

CUresult cuModuleUnload(CUmodule module) {
    delete reinterpret_cast<Module*>(module);
    log_line("{\"call\":\"cuModuleUnload\"}");
    return 0;
}

CUresult cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
    auto& functions = reinterpret_cast<Module*>(module)->functions;
    auto it = functions.find(name);
    const CUresult result = it == functions.end() ? 500 : 0;
    if (result == 0) *function = reinterpret_cast<CUfunction>(&it->second);
    log_line("{\"call\":\"cuModuleGetFunction\",\"name\":" + quoted(name) +
             ",\"result\":" + std::to_string(result) + "}");
    return result;
}

CUresult cuFuncSetAttribute(CUfunction, int attribute, int value) {
    log_line("{\"call\":\"cuFuncSetAttribute\",\"attribute\":" + std::to_string(attribute) +
             ",\"value\":" + std::to_string(value) + "}");
    return 0;
}

CUresult cuLaunchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned smem, CUstream stream, void** params,
                        void** extra) {
    const auto* f = reinterpret_cast<const Function*>(function);
    std::vector<unsigned char> buffer;
    std::string sizes, offsets;
    for (size_t i = 0; i < f->params.size(); ++i) {
        const Param& p = f->params[i];
        if (buffer.size() < p.offset + p.size) buffer.resize(p.offset + p.size);
        std::memcpy(buffer.data() + p.offset, params[i], p.size);
        sizes += (i ? "," : "") + std::to_string(p.size);
        offsets += (i ? "," : "") + std::to_string(p.offset);
    }
    auto dims = [](unsigned x, unsigned y, unsigned z) {
        return "[" + std::to_string(x) + "," + std::to_string(y) + "," + std::to_string(z) + "]";
    };
    log_line("{\"call\":\"cuLaunchKernel\",\"function\":" + quoted(f->name) +
             ",\"grid\":" + dims(gx, gy, gz) + ",\"block\":" + dims(bx, by, bz) +
             ",\"smem\":" + std::to_string(smem) +
             ",\"stream\":" + std::to_string(reinterpret_cast<uintptr_t>(stream)) +
             ",\"device\":" + std::to_string(g_current ? g_current->device : -1) + ",\"extra\":" +
             (extra ? "true" : "false") + ",\"param_sizes\":[" + sizes + "],\"param_offsets\":[" +
             offsets + "],\"params\":\"" + hex(buffer.data(), buffer.size()) + "\"}");
    return 0;
}

CUresult cuMemAlloc_v2(CUdeviceptr* pointer, size_t bytes) {
    *pointer = reinterpret_cast<CUdeviceptr>(std::malloc(bytes));
    log_line("{\"call\":\"cuMemAlloc\",\"bytes\":" + std::to_string(bytes) + "}");
    return *pointer ? 0 : 2;
}

CUresult cuMemFree_v2(CUdeviceptr pointer) {
    std::free(reinterpret_cast<void*>(pointer));
    log_line("{\"call\":\"cuMemFree\"}");
    return 0;
}

CUresult cuMemsetD8_v2(CUdeviceptr pointer, unsigned char value, size_t bytes) {
    std::memset(reinterpret_cast<void*>(pointer), value, bytes);
    return 0;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void* source, size_t bytes) {
    std::memcpy(reinterpret_cast<void*>(destination), source, bytes);
    log_line("{\"call\":\"cuMemcpyHtoD\",\"bytes\":" + std::to_string(bytes) + "}");
    return 0;
}

CUresult cuMemcpyDtoH_v2(void* destination, CUdeviceptr source, size_t bytes) {
    std::memcpy(destination, reinterpret_cast<const void*>(source), bytes);
    log_line("{\"call\":\"cuMemcpyDtoH\",\"bytes\":" + std::to_string(bytes) + "}");
    return 0;
}

CUresult cuStreamSynchronize(CUstream stream) {
    log_line("{\"call\":\"cuStreamSynchronize\",\"stream\":" +
             std::to_string(reinterpret_cast<uintptr_t>(stream)) + "}");
    return 0;
}

} // extern "C"
