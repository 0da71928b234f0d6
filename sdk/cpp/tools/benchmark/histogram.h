// A latency histogram for the benchmark: fixed log-linear buckets (exact below 1024 µs,
// then 512 buckets per power of two, i.e. < 0.2% error), atomic counters, no allocation
// per sample. Record from any thread; read while recording (figures are then approximate
// by the samples in flight).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace sprocket::bench {

class Histogram {
 public:
  static constexpr int kLinear = 1024;
  static constexpr int kPerOctave = 512;
  static constexpr int kOctaves = 27;  // up to 2^37 µs, ~38 hours
  static constexpr int kBuckets = kLinear + kOctaves * kPerOctave;

  void Record(uint64_t micros) {
    counts_[Index(micros)].fetch_add(1, std::memory_order_relaxed);
    total_.fetch_add(1, std::memory_order_relaxed);
  }

  // A copy of the counts, to compute percentiles of, or to subtract from a later one.
  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};
    uint64_t total = 0;

    // The value at quantile q (0..1), in µs; 0 without samples.
    uint64_t Percentile(double q) const {
      if (total == 0) return 0;
      uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total - 1)) + 1;
      uint64_t seen = 0;
      for (int i = 0; i < kBuckets; ++i) {
        seen += counts[i];
        if (seen >= rank) return UpperBound(i);
      }
      return UpperBound(kBuckets - 1);
    }
    Snapshot operator-(const Snapshot& earlier) const {
      Snapshot d;
      for (int i = 0; i < kBuckets; ++i) d.counts[i] = counts[i] - earlier.counts[i];
      d.total = total - earlier.total;
      return d;
    }
  };

  Snapshot Take() const {
    Snapshot s;
    for (int i = 0; i < kBuckets; ++i) s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    for (uint64_t c : s.counts) s.total += c;
    return s;
  }

 private:
  static int Index(uint64_t v) {
    if (v < kLinear) return static_cast<int>(v);
    int log2 = 63 - __builtin_clzll(v);  // >= 10
    int octave = log2 - 9;               // 1.. : [2^(octave+9), 2^(octave+10))
    if (octave > kOctaves) return kBuckets - 1;
    int shift = octave;                  // keep the top 10 bits: 512..1023
    int mantissa = static_cast<int>(v >> shift) - kPerOctave;
    return kLinear + (octave - 1) * kPerOctave + mantissa;
  }
  static uint64_t UpperBound(int index) {
    if (index < kLinear) return static_cast<uint64_t>(index);
    int octave = (index - kLinear) / kPerOctave + 1;
    uint64_t mantissa = static_cast<uint64_t>((index - kLinear) % kPerOctave + kPerOctave);
    return ((mantissa + 1) << octave) - 1;
  }

  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> total_{0};
};

}  // namespace sprocket::bench
