// The carry-less-multiply CRC-32 against zlib's, for every length up to 2 KiB at every
// alignment, chained, and the standard check value.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "protocol/crc32.h"
#include "sprocket/protocol/message.h"

namespace sprocket::protocol {
namespace {

TEST(ProtocolCrc32Test, CheckValue) {
  EXPECT_EQ(detail::Crc32(0, "123456789", 9), 0xCBF43926u);
  const std::string long_digits(1000, '7');
  EXPECT_EQ(detail::Crc32(0, long_digits.data(), long_digits.size()),
            detail::Crc32Zlib(0, long_digits.data(), long_digits.size()));
  EXPECT_EQ(BodyCrc("123456789"), static_cast<int32_t>(0xCBF43926u & 0x7FFFFFFF));
}

TEST(ProtocolCrc32Test, MatchesZlibForEveryLengthAndAlignment) {
  std::mt19937 rng(42);
  std::string data(2200, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t len = 0; len + offset <= 2100; ++len) {
      const char* p = data.data() + offset;
      ASSERT_EQ(detail::Crc32(0, p, len), detail::Crc32Zlib(0, p, len)) << "offset " << offset << " len " << len;
    }
  }
}

TEST(ProtocolCrc32Test, ChainsLikeZlib) {
  std::string data(5000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  for (size_t split : {0, 1, 63, 64, 65, 100, 1024, 4999, 5000}) {
    uint32_t c = detail::Crc32(0, data.data(), split);
    c = detail::Crc32(c, data.data() + split, data.size() - split);
    EXPECT_EQ(c, detail::Crc32Zlib(0, data.data(), data.size())) << "split " << split;
  }
  // Non-zero starting values go through the fast path too.
  EXPECT_EQ(detail::Crc32(0x12345678, data.data(), 300), detail::Crc32Zlib(0x12345678, data.data(), 300));
}

}  // namespace
}  // namespace sprocket::protocol
