// NVRTC compiles (no driver needed): every shipped `.cu` example compiles to a CUBIN for sm_80
// and sm_90 whose ELF symbol table, and whose PTX `.entry` list, hold exactly the annotated
// entry points; headers are handed to NVRTC under canonical names; errors name the user's file
// and line; the CUDA blob container round-trips and rejects damage.
#include "cuda_test_util.h"

#include <becore/registry/annotation.h>
#include <becore/runtime/cuda_backend.h>

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>

namespace be {
namespace {

using test::k_examples;

template <typename T> T read(const std::vector<char>& data, size_t at) {
    T value{};
    if (at + sizeof(T) <= data.size()) std::memcpy(&value, data.data() + at, sizeof(T));
    return value;
}

// The names of the FUNC symbols of an ELF64 image, read from its SHT_SYMTAB section.
std::set<std::string> elf_functions(const std::vector<char>& elf, uint16_t* machine) {
    std::set<std::string> names;
    static const char magic[4] = {0x7f, 'E', 'L', 'F'};
    if (elf.size() < 64 || std::memcmp(elf.data(), magic, 4) != 0 || elf[4] != 2) // ELFCLASS64
        return names;
    *machine = read<uint16_t>(elf, 0x12);
    const auto shoff = read<uint64_t>(elf, 0x28);
    const auto shentsize = read<uint16_t>(elf, 0x3a), shnum = read<uint16_t>(elf, 0x3c);
    auto header = [&](size_t i) { return shoff + i * shentsize; };
    for (size_t i = 0; i < shnum; ++i) {
        if (read<uint32_t>(elf, header(i) + 4) != 2) continue; // SHT_SYMTAB
        const auto offset = read<uint64_t>(elf, header(i) + 0x18);
        const auto size = read<uint64_t>(elf, header(i) + 0x20);
        const auto entsize = read<uint64_t>(elf, header(i) + 0x38);
        const auto strtab =
            read<uint64_t>(elf, header(read<uint32_t>(elf, header(i) + 0x28)) + 0x18);
        for (uint64_t s = offset; entsize > 0 && s + entsize <= offset + size; s += entsize) {
            if ((read<uint8_t>(elf, s + 4) & 0xf) != 2) continue; // STT_FUNC
            names.insert(elf.data() + strtab + read<uint32_t>(elf, s));
        }
    }
    return names;
}

std::set<std::string> ptx_entries(const std::string& ptx) {
    std::set<std::string> names;
    static const std::regex entry(R"(\.entry\s+([A-Za-z0-9_$]+)\s*\()");
    for (std::sregex_iterator it(ptx.begin(), ptx.end(), entry), end; it != end; ++it)
        names.insert((*it)[1]);
    return names;
}

CudaCompileRequest request_for(const std::filesystem::path& file, const std::string& arch,
                               const std::vector<Signature>& signatures) {
    CudaCompileRequest request;
    request.path = file;
    request.source = test::read_file(file);
    request.arch = arch;
    for (const auto& s : signatures)
        request.name_expressions.push_back(s.function);
    return request;
}

// The request for `text`, written to dir/name, with its annotated entries as name expressions.
CudaCompileRequest request_for_text(const std::filesystem::path& dir, const std::string& name,
                                    const std::string& text, const std::string& arch) {
    test::write_file(dir / name, text);
    return request_for(dir / name, arch, parse_annotations(text, name, SourceKind::cuda).value());
}

TEST(NvrtcCompile, EveryShippedKernelCompilesForSm80AndSm90WithTheAnnotatedEntries) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(k_examples))
        if (entry.path().extension() == ".cu") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 3u);
    for (const auto& file : files) {
        auto signatures =
            parse_annotations(test::read_file(file), file.string(), SourceKind::cuda).value();
        ASSERT_FALSE(signatures.empty()) << file;
        for (const std::string arch : {"sm_80", "sm_90"}) {
            SCOPED_TRACE(file.filename().string() + " " + arch);
            auto request = request_for(file, arch, signatures);
            auto program = prepare_cuda_program(request);
            ASSERT_TRUE(program) << program.error().full();
            const auto start = std::chrono::steady_clock::now();
            auto compiled = compile_cuda(request, *program);
            ASSERT_TRUE(compiled) << compiled.error().full();
            std::printf(
                "  NVRTC %s for %s: %.0f ms\n", file.filename().c_str(), arch.c_str(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
            const CudaBinary& binary = compiled->binary;
            EXPECT_EQ(binary.arch, arch);
            uint16_t machine = 0;
            const auto cubin_functions = elf_functions(binary.cubin, &machine);
            EXPECT_EQ(machine, 190); // EM_CUDA
            EXPECT_NE(binary.ptx.find(".target " + arch), std::string::npos);
            // Exactly the annotated entries, under their lowered names, in both images.
            std::set<std::string> lowered;
            for (const auto& s : signatures) {
                auto it = binary.lowered_names.find(s.function);
                ASSERT_NE(it, binary.lowered_names.end()) << s.function;
                EXPECT_NE(it->second.find(s.function.substr(0, s.function.find('<'))),
                          std::string::npos)
                    << it->second;
                lowered.insert(it->second);
            }
            EXPECT_EQ(ptx_entries(binary.ptx), lowered);
            for (const auto& name : lowered)
                EXPECT_TRUE(cubin_functions.count(name)) << name << " not in the CUBIN symtab";
        }
    }
}

TEST(NvrtcProgram, HeadersAreHandedInUnderCanonicalNames) {
    test::TempDir dir, include;
    test::write_file(dir / "sub" / "a.h", "#pragma once\n#include \"b.h\"\n#define A (B + 1)\n");
    test::write_file(dir / "sub" / "b.h", "#pragma once\n#define B 41\n");
    test::write_file(include / "c.h", "#pragma once\n#define C 1\n");
    auto request =
        request_for_text(dir.path(), "k.cu",
                         "#include \"sub/a.h\"\n#include <c.h>\n#include <cuda_fp16.h>\n"
                         "// @BE k launch(threads=1)\n"
                         "__global__ void k(BE::Tensor o) { o.data_ptr<int>()[0] = A + C; }\n",
                         "sm_90");
    request.include_dirs = {include.path()};
    auto program = prepare_cuda_program(request).value();
    EXPECT_EQ(program.name, "k.cu");
    EXPECT_EQ(program.text.rfind("#include \"be/be.h\"\n#line 1 \"k.cu\"\n#include \"sub/a.h\"\n"
                                 "#include \"__becore_I1__/c.h\"\n#include <cuda_fp16.h>\n",
                                 0),
              0u)
        << program.text;
    std::map<std::string, std::string> headers;
    for (const auto& h : program.headers)
        headers[h.name] = h.text;
    EXPECT_EQ(headers.at("sub/b.h"), "#pragma once\n#define B 41\n");
    EXPECT_NE(headers.at("sub/a.h").find("#include \"sub/b.h\""), std::string::npos); // rewritten
    EXPECT_TRUE(headers.count("__becore_I1__/c.h"));
    EXPECT_TRUE(headers.count("be/be.h"));
    EXPECT_TRUE(headers.count("be/tensor.h"));
    EXPECT_FALSE(headers.count("cuda_fp16.h")); // a system header: NVRTC's -I search finds it
    std::set<std::string> user;
    for (const auto& p : program.user_headers)
        user.insert(p.lexically_normal().string());
    EXPECT_EQ(user,
              (std::set<std::string>{(dir / "sub" / "a.h").string(), (dir / "sub" / "b.h").string(),
                                     (include / "c.h").string()}));
    auto compiled = compile_cuda(request, program);
    ASSERT_TRUE(compiled) << compiled.error().full();
    // The flags of the key carry no absolute path.
    for (const auto& flag : cuda_compile_flags(request))
        EXPECT_EQ(flag.find(dir.path().string()), std::string::npos) << flag;
}

TEST(NvrtcCompile, ErrorsNameTheUsersFileAndLine) {
    test::TempDir dir;
    auto request = request_for_text(dir.path(), "bad.cu",
                                    "// @BE bad launch(threads=1)\n"
                                    "__global__ void bad(BE::Tensor o) {\n"
                                    "    int x = ;\n}\n",
                                    "sm_90");
    auto compiled = compile_cuda(request, prepare_cuda_program(request).value());
    ASSERT_FALSE(compiled);
    const std::string where = (dir / "bad.cu").string() + ":3";
    EXPECT_EQ(compiled.error().message.rfind(
                  "compile_cuda(" + where + "): error: expected an expression", 0),
              0u)
        << compiled.error().message;
    EXPECT_NE(compiled.error().log.find(where + ": error: expected an expression"),
              std::string::npos)
        << compiled.error().log;
}

// NVRTC names internal-linkage symbols with a random hash per compile unless seeded; the key's
// -frandom-seed makes two compiles of one request the same PTX and CUBIN bytes.
TEST(NvrtcCompile, TheSameRequestCompilesToTheSameBytes) {
    test::TempDir dir;
    auto request = request_for_text(dir.path(), "internal.cu",
                                    "namespace {\n"
                                    "__constant__ float table[2] = {1.0f, 2.0f};\n"
                                    "}\n"
                                    "// @BE lookup launch(threads=1)\n"
                                    "__global__ void lookup(BE::Tensor o) {\n"
                                    "    o.data_ptr<float>()[0] = table[threadIdx.x & 1];\n}\n",
                                    "sm_80");
    const auto program = prepare_cuda_program(request).value();
    auto first = compile_cuda(request, program);
    auto second = compile_cuda(request, program);
    ASSERT_TRUE(first) << first.error().full();
    ASSERT_TRUE(second) << second.error().full();
    EXPECT_NE(first->binary.ptx.find("_INTERNAL_"), std::string::npos) << first->binary.ptx;
    EXPECT_EQ(first->binary.ptx, second->binary.ptx);
    EXPECT_EQ(first->binary.cubin, second->binary.cubin);
}

// NVRTC's phase table (-time=-) lands in CompiledCuda::phases, not in the diagnostics, which keep
// the warnings; a user's own -time file gets the table instead (and the phases stay zero).
TEST(NvrtcCompile, PhaseTimesAreTakenOutOfTheLog) {
    test::TempDir dir;
    auto request = request_for_text(dir.path(), "warn.cu",
                                    "// @BE warn launch(threads=1)\n"
                                    "__global__ void warn(BE::Tensor o) {\n"
                                    "    int unused = 1;\n"
                                    "    o.data_ptr<float>()[0] = 2.0f;\n}\n",
                                    "sm_80");
    auto compiled = compile_cuda(request, prepare_cuda_program(request).value());
    ASSERT_TRUE(compiled) << compiled.error().full();
    const CompilePhases& phases = compiled->phases;
    EXPECT_GE(phases.frontend, 0);
    EXPECT_GE(phases.optimise, 0);
    EXPECT_GE(phases.emit, 0);
    const double nvrtc = phases.frontend + phases.optimise + phases.emit;
    EXPECT_GT(nvrtc, 0);
    EXPECT_LE(nvrtc, compiled->seconds + 1e-3); // NVRTC reports whole milliseconds
    const std::string& log = compiled->diagnostics;
    EXPECT_NE(log.find((dir / "warn.cu").string() + ":3: warning"), std::string::npos) << log;
    EXPECT_NE(log.find("\"unused\""), std::string::npos) << log;
    EXPECT_EQ(log.find("phase name"), std::string::npos) << log;
    EXPECT_EQ(log.find("NVVM Optimizer"), std::string::npos) << log;

    const auto table = dir / "times.csv";
    request.extra_flags = {"-time=" + table.string()};
    auto own = compile_cuda(request, prepare_cuda_program(request).value());
    ASSERT_TRUE(own) << own.error().full();
    EXPECT_EQ(own->phases.frontend + own->phases.optimise + own->phases.emit, 0);
    EXPECT_NE(test::read_file(table).find("NVVM Optimizer"), std::string::npos);
    EXPECT_EQ(own->diagnostics.find("NVVM Optimizer"), std::string::npos) << own->diagnostics;
}

TEST(NvrtcCompile, ArchitecturesAreCheckedAndNamed) {
    EXPECT_EQ(normalize_cuda_arch("sm_80").value(), "sm_80");
    EXPECT_EQ(normalize_cuda_arch("90").value(), "sm_90");
    EXPECT_EQ(normalize_cuda_arch("sm_90a").value(), "sm_90a");
    EXPECT_EQ(normalize_cuda_arch("sm_100").value(), "sm_100");
    for (const char* bad : {"", "sm_", "sm_8", "compute_80", "sm80", "sm_80x", "8.0", "sm_1000"}) {
        auto r = normalize_cuda_arch(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message.find("is not a CUDA architecture"), std::string::npos);
    }
    test::TempDir dir;
    test::write_file(dir / "k.cu",
                     "// @BE k launch(threads=1)\n__global__ void k(BE::Tensor o) {}\n");
    auto request = request_for(dir / "k.cu", "sm_52", {});
    auto compiled = compile_cuda(request, prepare_cuda_program(request).value());
    ASSERT_FALSE(compiled);
    EXPECT_NE(compiled.error().message.find("cannot compile for 'sm_52' (supported: "),
              std::string::npos)
        << compiled.error().message;
}

// The identity names the library's soname (its major version agrees with nvrtcVersion) and the
// build-id readelf reads from the library NVRTC is loaded from.
TEST(NvrtcIdentity, IsTheSonameAndTheBuildIdReadelfReports) {
    auto status = nvrtc_status();
    ASSERT_TRUE(status.available) << status.reason;
    auto identity = cuda_toolchain_identity().value();
    std::smatch match;
    ASSERT_TRUE(std::regex_match(
        identity, match, std::regex(R"(nvrtc libnvrtc\.so\.(\d+);build-id ([0-9a-f]{16,}))")))
        << identity;
    EXPECT_EQ(status.version.rfind(match[1].str() + ".", 0), 0u) << status.version;
    auto readelf = test::run_command("readelf -n " +
                                     std::filesystem::canonical(status.library).string() + " 2>&1");
    if (readelf.exit_code != 0) GTEST_SKIP() << "readelf is unavailable: " << readelf.output;
    EXPECT_NE(readelf.output.find("Build ID: " + match[2].str() + "\n"), std::string::npos)
        << readelf.output;
}

TEST(CudaBinaryContainer, RoundTripsAndRejectsDamage) {
    CudaBinary binary;
    binary.arch = "sm_90";
    binary.cubin = {'\x7f', 'E', 'L', 'F', '\0', 'x'};
    binary.ptx = ".version 9.0\n.target sm_90\n";
    binary.lowered_names = {{"scale<float>", "_Z5scaleIfEv"}, {"axpy", "axpy"}};
    auto blob = pack_cuda_binary(binary);
    auto back = unpack_cuda_binary(blob).value();
    EXPECT_EQ(back.arch, binary.arch);
    EXPECT_EQ(back.cubin, binary.cubin);
    EXPECT_EQ(back.ptx, binary.ptx);
    EXPECT_EQ(back.lowered_names, binary.lowered_names);
    // Every truncation and a trailing byte are errors, never crashes.
    for (size_t n = 0; n < blob.size(); ++n) {
        auto cut = unpack_cuda_binary(std::vector<char>(blob.begin(), blob.begin() + n));
        ASSERT_FALSE(cut) << n;
        EXPECT_NE(cut.error().message.find("damaged CUDA binary container"), std::string::npos);
    }
    auto longer = blob;
    longer.push_back('\0');
    EXPECT_FALSE(unpack_cuda_binary(longer));
    auto bad_magic = blob;
    bad_magic[0] = 'X';
    EXPECT_FALSE(unpack_cuda_binary(bad_magic));
    auto huge_field = blob;
    huge_field[12 + 4 + 4 + 7] = '\x7f'; // the arch value's size, most significant byte
    EXPECT_FALSE(unpack_cuda_binary(huge_field));
}

} // namespace
} // namespace be
