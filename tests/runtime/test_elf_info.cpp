// read_elf_info on hand-made ELF files with a known build-id and soname, and on malformed ones:
// every offset the reader follows is moved outside the file in turn, and each must give an
// error naming the file, never a read past it. (The real libnvrtc is compared with readelf in
// tests/cuda/test_nvrtc.cpp.)
#include "test_support.h"

#include <becore/runtime/elf_info.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

namespace be {
namespace {

// A minimal ELF64 shared object: header, 3 program headers (PT_LOAD over the whole file,
// PT_NOTE, PT_DYNAMIC), a build-id note, a dynamic section (DT_STRTAB, DT_SONAME, DT_NULL)
// and a string table. Offsets of the interesting fields are kept for the malformed variants.
struct TestElf {
    std::vector<unsigned char> bytes;
    size_t phoff = 64, note_ph = 64 + 56, dynamic_ph = 64 + 112;
    size_t note_at = 0, dynamic_at = 0, strtab_at = 0;

    template <typename T> void put(size_t at, T value) {
        if (bytes.size() < at + sizeof value) bytes.resize(at + sizeof value);
        std::memcpy(&bytes[at], &value, sizeof value);
    }
    void program_header(size_t at, uint32_t type, uint64_t offset, uint64_t size) {
        put<uint32_t>(at, type);
        put<uint64_t>(at + 8, offset);  // p_offset
        put<uint64_t>(at + 16, offset); // p_vaddr = offset
        put<uint64_t>(at + 32, size);   // p_filesz
        put<uint64_t>(at + 40, size);   // p_memsz
    }
};

TestElf make_elf(const std::vector<unsigned char>& id, const std::string& soname) {
    TestElf elf;
    elf.bytes.assign(64, 0);
    std::memcpy(elf.bytes.data(),
                "\x7f"
                "ELF",
                4);
    elf.bytes[4] = 2; // ELFCLASS64
    elf.bytes[5] = 1; // little-endian
    elf.bytes[6] = 1;
    elf.put<uint16_t>(16, 3); // ET_DYN
    elf.put<uint64_t>(32, elf.phoff);
    elf.put<uint16_t>(54, 56); // e_phentsize
    elf.put<uint16_t>(56, 3);  // e_phnum
    elf.note_at = 64 + 3 * 56;
    // An unrelated note first, so the reader has to walk the list.
    const size_t other = elf.note_at;
    elf.put<uint32_t>(other, 5); // namesz "Test\0"
    elf.put<uint32_t>(other + 4, 3);
    elf.put<uint32_t>(other + 8, 1);
    for (char c : std::string("Test\0\0\0\0", 8))
        elf.bytes.push_back(static_cast<unsigned char>(c));
    for (int i = 0; i < 4; ++i)
        elf.bytes.push_back(0xee); // desc (3 bytes + padding)
    const size_t gnu = elf.bytes.size();
    elf.put<uint32_t>(gnu, 4);
    elf.put<uint32_t>(gnu + 4, static_cast<uint32_t>(id.size()));
    elf.put<uint32_t>(gnu + 8, 3); // NT_GNU_BUILD_ID
    for (char c : std::string("GNU\0", 4))
        elf.bytes.push_back(static_cast<unsigned char>(c));
    elf.bytes.insert(elf.bytes.end(), id.begin(), id.end());
    while (elf.bytes.size() % 8)
        elf.bytes.push_back(0);
    const size_t note_size = elf.bytes.size() - elf.note_at;

    elf.strtab_at = elf.bytes.size();
    elf.bytes.push_back(0);
    for (char c : soname)
        elf.bytes.push_back(static_cast<unsigned char>(c));
    elf.bytes.push_back(0);
    while (elf.bytes.size() % 8)
        elf.bytes.push_back(0);

    elf.dynamic_at = elf.bytes.size();
    elf.put<int64_t>(elf.dynamic_at, 5); // DT_STRTAB
    elf.put<uint64_t>(elf.dynamic_at + 8, elf.strtab_at);
    elf.put<int64_t>(elf.dynamic_at + 16, 14); // DT_SONAME
    elf.put<uint64_t>(elf.dynamic_at + 24, 1);
    elf.put<int64_t>(elf.dynamic_at + 32, 0); // DT_NULL
    elf.put<uint64_t>(elf.dynamic_at + 40, 0);

    elf.program_header(elf.phoff, 1, 0, elf.bytes.size());
    elf.program_header(elf.note_ph, 4, elf.note_at, note_size);
    elf.program_header(elf.dynamic_ph, 2, elf.dynamic_at, 48);
    return elf;
}

class ElfInfoTest : public ::testing::Test {
  protected:
    test::TempDir dir;
    const std::vector<unsigned char> id{0x65, 0xbe, 0x0d, 0xb3, 0x42, 0xad, 0x51, 0xa0, 0x68, 0x76,
                                        0xe7, 0x1e, 0x21, 0x0b, 0xcc, 0xc5, 0xaa, 0x83, 0x22, 0xcf};

    std::filesystem::path write(const std::vector<unsigned char>& bytes) {
        auto path = dir / "lib.so";
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<long>(bytes.size()));
        return path;
    }
    // The error message for `bytes`, which must not read. The reader over memory
    // (parse_elf_info, which the fuzzer calls) must say the same as the reader over the file.
    std::string error_for(const std::vector<unsigned char>& bytes) {
        auto path = write(bytes);
        auto info = read_elf_info(path);
        auto parsed = parse_elf_info(
            std::span(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path.string());
        EXPECT_EQ(info.ok(), parsed.ok());
        if (info && parsed) {
            EXPECT_EQ(info->build_id, parsed->build_id);
            EXPECT_EQ(info->soname, parsed->soname);
        }
        if (!info && !parsed) {
            EXPECT_EQ(info.error().message, parsed.error().message);
        }
        if (info) return "read: build-id '" + info->build_id + "' soname '" + info->soname + "'";
        EXPECT_EQ(info.error().message.rfind("read_elf_info(" + path.string() + "): ", 0), 0u)
            << info.error().message;
        return info.error().message;
    }
};

TEST_F(ElfInfoTest, ReadsBuildIdAndSoname) {
    auto info = read_elf_info(write(make_elf(id, "libfake.so.13").bytes));
    ASSERT_TRUE(info) << info.error().full();
    EXPECT_EQ(info->build_id, "65be0db342ad51a06876e71e210bccc5aa8322cf");
    EXPECT_EQ(info->soname, "libfake.so.13");
}

TEST_F(ElfInfoTest, MissingNoteAndDynamicGiveEmptyFields) {
    TestElf elf = make_elf(id, "x");
    elf.put<uint32_t>(elf.note_ph, 6);    // PT_PHDR: not a note any more
    elf.put<uint32_t>(elf.dynamic_ph, 6); // nor a dynamic segment
    auto info = read_elf_info(write(elf.bytes));
    ASSERT_TRUE(info) << info.error().full();
    EXPECT_EQ(info->build_id, "");
    EXPECT_EQ(info->soname, "");
}

TEST_F(ElfInfoTest, RejectsWhatIsNotA64BitLittleEndianElf) {
    EXPECT_NE(error_for({}).find("not an ELF file"), std::string::npos);
    EXPECT_NE(error_for({'#', '!', '/', 'b', 'i', 'n'}).find("not an ELF file"), std::string::npos);
    TestElf elf = make_elf(id, "x");
    auto header_only = std::vector<unsigned char>(elf.bytes.begin(), elf.bytes.begin() + 40);
    EXPECT_NE(error_for(header_only).find("not an ELF file"), std::string::npos);
    elf.bytes[4] = 1; // ELFCLASS32
    EXPECT_NE(error_for(elf.bytes).find("64-bit little-endian"), std::string::npos);
    elf.bytes[4] = 2;
    elf.bytes[5] = 2; // big-endian
    EXPECT_NE(error_for(elf.bytes).find("64-bit little-endian"), std::string::npos);
    EXPECT_NE(read_elf_info(dir / "absent.so").error().message.find("cannot open"),
              std::string::npos);
    EXPECT_NE(read_elf_info(dir.path()).error().message.find("not a regular file"),
              std::string::npos);
}

TEST_F(ElfInfoTest, OffsetsOutsideTheFileAreErrors) {
    const TestElf good = make_elf(id, "libfake.so.13");
    auto variant = [&](auto change) {
        TestElf elf = good;
        change(elf);
        return error_for(elf.bytes);
    };
    EXPECT_NE(variant([](TestElf& e) { e.put<uint16_t>(54, 32); }).find("program header size"),
              std::string::npos);
    EXPECT_NE(variant([](TestElf& e) {
                  e.put<uint64_t>(32, e.bytes.size() - 8);
              }).find("program headers lie outside"),
              std::string::npos);
    EXPECT_NE(variant([](TestElf& e) {
                  e.put<uint16_t>(56, 0xffff);
              }).find("program headers lie outside"),
              std::string::npos);
    EXPECT_NE(variant([](TestElf& e) {
                  e.put<uint64_t>(e.note_ph + 8, e.bytes.size() - 4);
              }).find("note segment lies outside"),
              std::string::npos);
    EXPECT_NE(variant([](TestElf& e) {
                  e.put<uint64_t>(e.note_ph + 32, uint64_t{1} << 62);
              }).find("note segment lies outside"),
              std::string::npos);
    EXPECT_NE(variant([](TestElf& e) {
                  e.put<uint64_t>(e.dynamic_ph + 8, ~uint64_t{0} - 7);
              }).find("dynamic segment lies outside"),
              std::string::npos);
    EXPECT_NE(variant([](TestElf& e) {
                  e.put<uint64_t>(e.dynamic_at + 24, uint64_t{1} << 40);
              }).find("DT_SONAME lies outside"),
              std::string::npos);
    EXPECT_NE(variant([](TestElf& e) {
                  e.put<uint64_t>(e.dynamic_at + 8, uint64_t{1} << 40);
              }).find("DT_SONAME lies outside"),
              std::string::npos);
    // The soname's terminator cut off by the end of the file.
    EXPECT_NE(variant([](TestElf& e) {
                  e.put<uint64_t>(e.dynamic_at + 24, e.bytes.size() - 1 - e.strtab_at);
                  e.bytes.back() = 'x';
              }).find("not terminated"),
              std::string::npos);
}

TEST_F(ElfInfoTest, DamagedNotesYieldNoBuildIdButNoOverread) {
    const TestElf good = make_elf(id, "x");
    // The first note's name size runs past the segment: the walk stops, no build-id.
    TestElf elf = good;
    elf.put<uint32_t>(elf.note_at, 0x7fffffff);
    auto info = read_elf_info(write(elf.bytes));
    ASSERT_TRUE(info) << info.error().full();
    EXPECT_EQ(info->build_id, "");
    // The build-id descriptor longer than the segment.
    elf = good;
    elf.put<uint32_t>(elf.note_at + 12 + 8 + 4 + 4, 0x1000);
    info = read_elf_info(write(elf.bytes));
    ASSERT_TRUE(info) << info.error().full();
    EXPECT_EQ(info->build_id, "");
    // A segment cut short of the second note: the first is read, then the walk ends.
    elf = good;
    elf.put<uint64_t>(elf.note_ph + 32, 12 + 8 + 4 + 6);
    info = read_elf_info(write(elf.bytes));
    ASSERT_TRUE(info) << info.error().full();
    EXPECT_EQ(info->build_id, "");
}

} // namespace
} // namespace be
