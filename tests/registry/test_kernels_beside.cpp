// load_kernels_beside: kernel files found from an address inside the library that ships them.
// The test library (tests/CMakeLists.txt) is built with becore_add_kernels, which stages its
// kernel file and writes its manifest in the build tree; copies of it, dlopened from a temp
// directory beside manifests written here, give the error cases.
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

#include <dlfcn.h>

namespace be {
namespace {

namespace fs = std::filesystem;

const fs::path k_library = BECORE_BESIDE_LIBRARY;
const fs::path k_kernel = BECORE_BESIDE_KERNEL;

const int anchor_in_test_executable = 0;

// A dlopened library; its anchor is an address inside it.
class Library {
  public:
    explicit Library(const fs::path& file) : handle_(dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    }
    ~Library() { dlclose(handle_); }
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
    const void* anchor() const {
        auto get = reinterpret_cast<const void* (*)()>(dlsym(handle_, "beside_anchor"));
        return get ? get() : nullptr;
    }

  private:
    void* handle_;
};

class KernelsBeside : public ::testing::Test {
  protected:
    test::TempDir dir;
    Registry registry{KernelCache::in_memory()};

    // A copy of the test library at <dir>/<name>/lib/lib<name>.so, with a manifest naming
    // ../share/kernels and the given lines after the format line.
    fs::path install_copy(const std::string& name, const std::string& manifest_body) {
        const fs::path lib = dir / name / "lib" / ("lib" + name + ".so");
        fs::create_directories(lib.parent_path());
        fs::create_directories(dir / name / "share" / "kernels");
        fs::copy_file(k_library, lib);
        test::write_file(lib.string() + ".becore-kernels",
                         "# written by the test\nbecore-kernels 1\n" + manifest_body);
        return fs::canonical(lib); // as load_kernels_beside names it
    }
    fs::path kernels_of(const std::string& name) {
        return fs::canonical(dir / name / "share" / "kernels");
    }

    // y = cube(x) through the registry, against x³ computed here.
    void expect_cube(const std::string& target) {
        auto x = HostArray::create(DType::float64, {5}).value();
        auto y = HostArray::create(DType::float64, {5}).value();
        for (int i = 0; i < 5; ++i)
            x.data_as<double>()[i] = 0.5 * i - 1.0;
        BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
        auto called = registry.call(target, args, rets);
        ASSERT_TRUE(called) << called.error().full();
        for (int i = 0; i < 5; ++i) {
            const double v = 0.5 * i - 1.0;
            EXPECT_DOUBLE_EQ(y.data_as<double>()[i], v * v * v);
        }
    }
};

TEST_F(KernelsBeside, LoadsTheKernelsStagedInTheBuildTree) {
    Library library(k_library);
    auto reports = registry.load_kernels_beside(library.anchor());
    ASSERT_TRUE(reports) << reports.error().full();
    ASSERT_EQ(reports->size(), 1u);
    EXPECT_EQ((*reports)[0].targets, std::vector<std::string>{"beside.cube"});
    expect_cube("beside.cube");
    // Loading again from the same library is a no-op, not a prefix conflict.
    auto again = registry.load_kernels_beside(library.anchor());
    ASSERT_TRUE(again) << again.error().full();
    EXPECT_TRUE((*again)[0].unchanged);
}

TEST_F(KernelsBeside, MovedInstallStillFindsItsKernels) {
    install_copy("moved",
                 "library moved_lib\nprefix moved\ndir ../share/kernels\nfile beside_cube.cpp\n");
    fs::copy_file(k_kernel, kernels_of("moved") / "beside_cube.cpp");
    fs::rename(dir / "moved", dir / "elsewhere");
    Library library(dir / "elsewhere" / "lib" / "libmoved.so");
    auto reports = registry.load_kernels_beside(library.anchor());
    ASSERT_TRUE(reports) << reports.error().full();
    expect_cube("moved.cube");
}

TEST_F(KernelsBeside, NoManifestNamesThePathLookedFor) {
    auto reports = registry.load_kernels_beside(&anchor_in_test_executable);
    ASSERT_FALSE(reports);
    const std::string expected =
        "no kernel manifest " + fs::canonical("/proc/self/exe").string() + ".becore-kernels";
    EXPECT_NE(reports.error().message.find(expected), std::string::npos) << reports.error().message;
    EXPECT_NE(reports.error().message.find("becore_add_kernels"), std::string::npos);
}

TEST_F(KernelsBeside, AddressOutsideAnyLibraryIsAnError) {
    int on_the_stack = 0;
    auto reports = registry.load_kernels_beside(&on_the_stack);
    ASSERT_FALSE(reports);
    EXPECT_NE(reports.error().message.find("in no loaded library"), std::string::npos)
        << reports.error().message;
}

TEST_F(KernelsBeside, MissingKernelFileNamesTheFileAndTheLibrary) {
    const fs::path lib = install_copy(
        "partial",
        "library partial_lib\nprefix partial\ndir ../share/kernels\nfile beside_cube.cpp\n");
    Library library(lib);
    auto reports = registry.load_kernels_beside(library.anchor());
    ASSERT_FALSE(reports);
    const std::string& message = reports.error().message;
    EXPECT_NE(message.find("kernel file " + (kernels_of("partial") / "beside_cube.cpp").string() +
                           " of library 'partial_lib' is missing"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(lib.string() + ".becore-kernels"), std::string::npos) << message;
    EXPECT_TRUE(registry.names().empty());
}

TEST_F(KernelsBeside, CompileErrorNamesTheFileAndTheLibraryAndKeepsTheOthers) {
    const fs::path lib =
        install_copy("broken", "library broken_lib\nprefix broken\ndir ../share/kernels\nfile "
                               "bad.cpp\nfile beside_cube.cpp\n");
    fs::copy_file(k_kernel, kernels_of("broken") / "beside_cube.cpp");
    test::write_file(
        kernels_of("broken") / "bad.cpp",
        "// @BE bad\nvoid bad(const BE::Tensor& x, BE::Tensor& y) { undeclared_name; }\n");
    Library library(lib);
    auto reports = registry.load_kernels_beside(library.anchor());
    ASSERT_FALSE(reports);
    const std::string& message = reports.error().message;
    EXPECT_NE(message.find("kernel files of library 'broken_lib' failed"), std::string::npos)
        << message;
    EXPECT_NE(message.find((kernels_of("broken") / "bad.cpp").string()), std::string::npos)
        << message;
    EXPECT_NE(reports.error().log.find("undeclared_name"), std::string::npos)
        << reports.error().log;
    expect_cube("broken.cube"); // the good file of the same library still loaded
}

TEST_F(KernelsBeside, TwoLibrariesClaimingOnePrefixIsAnErrorNamingBoth) {
    const fs::path one = install_copy(
        "one", "library one_lib\nprefix shared\ndir ../share/kernels\nfile beside_cube.cpp\n");
    const fs::path two = install_copy(
        "two", "library two_lib\nprefix shared\ndir ../share/kernels\nfile beside_cube.cpp\n");
    fs::copy_file(k_kernel, kernels_of("one") / "beside_cube.cpp");
    fs::copy_file(k_kernel, kernels_of("two") / "beside_cube.cpp");
    Library first(one), second(two);
    ASSERT_TRUE(registry.load_kernels_beside(first.anchor()));
    auto reports = registry.load_kernels_beside(second.anchor());
    ASSERT_FALSE(reports);
    const std::string& message = reports.error().message;
    EXPECT_NE(message.find("load_kernels_beside(" + two.string() + ")"), std::string::npos)
        << message;
    EXPECT_NE(message.find("prefix 'shared' of library 'two_lib' is already claimed by the "
                           "kernels of " +
                           one.string()),
              std::string::npos)
        << message;
}

TEST_F(KernelsBeside, MalformedManifestNamesItsLine) {
    const std::pair<std::string, std::string> cases[] = {
        {"library x\nprefix x\ndir ../share/kernels\nfile a.cpp\nfiles b.cpp\n",
         ":7: unknown key 'files'"},
        {"library x\nprefix be\n", ":4: prefix 'be' is reserved"},
        {"library x\nprefix x\ndir /abs\n", ":5: dir '/abs' is absolute"},
        {"library x\nprefix x\ndir d\nfile ../a.cpp\n",
         ":6: file '../a.cpp' is not a plain file name"},
        {"library x\nprefix x\nprefix y\n", ":5: a second 'prefix' line"},
        {"library x\nprefix x\ndir d\n", ": no 'file' line"},
    };
    int n = 0;
    for (const auto& [body, expected] : cases) {
        const std::string name = "bad" + std::to_string(n++);
        const fs::path lib = install_copy(name, body);
        Library library(lib);
        auto reports = registry.load_kernels_beside(library.anchor());
        ASSERT_FALSE(reports) << body;
        EXPECT_NE(reports.error().message.find(lib.string() + ".becore-kernels" + expected),
                  std::string::npos)
            << reports.error().message;
    }
}

TEST_F(KernelsBeside, PrefixComesFromTheManifest) {
    Library library(k_library);
    LoadOptions options;
    options.prefix = "other";
    auto reports = registry.load_kernels_beside(library.anchor(), options);
    ASSERT_FALSE(reports);
    EXPECT_NE(reports.error().message.find("LoadOptions::prefix must be empty"), std::string::npos);
}

} // namespace
} // namespace be
