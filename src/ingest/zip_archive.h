// Parts of a zip archive (DOCX, and any other zip-based format) from an untrusted upload. The sizes an archive
// declares can lie (an entry that says 1,000 bytes may inflate to 60 MB), so they are never trusted: the limits
// apply to the bytes actually inflated, counted while streaming, per part, for the whole file, and against the
// file's own size (a compression ratio no real document reaches). Only parts asked for by name are ever inflated,
// so entries with odd paths ("../../etc/passwd") are never touched.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::ingest {

struct ZipLimits {
  std::size_t max_part_bytes = 32u << 20;   // one part, inflated
  std::size_t max_total_bytes = 40u << 20;  // every part read from one file, inflated
  // Inflated bytes per byte of the whole file, checked once more than ratio_floor bytes have been inflated
  // (small files may compress that well; large bombs do).
  double max_ratio = 100;
  std::size_t ratio_floor = 8u << 20;
  std::size_t max_entries = 10'000;
};

class ZipArchive {
 public:
  // `bytes` must outlive the archive. `format` names the file type in errors ("DOCX").
  static Result<ZipArchive> open(std::string_view bytes, std::string format, ZipLimits limits = {});
  ZipArchive(ZipArchive&&) noexcept;
  ZipArchive& operator=(ZipArchive&&) noexcept;
  ~ZipArchive();

  // The inflated bytes of part `name`, or nullopt when there is none; `unprocessable` once a limit is passed
  // (reading stops there) or when the part is damaged or encrypted.
  Result<std::optional<std::string>> read(const char* name);

  std::size_t inflated_bytes() const { return inflated_; }

 private:
  struct Handle;
  ZipArchive(std::unique_ptr<Handle> handle, std::size_t file_bytes, std::string format, ZipLimits limits);

  std::unique_ptr<Handle> handle_;
  std::size_t file_bytes_ = 0;
  std::string format_;
  ZipLimits limits_;
  std::size_t inflated_ = 0;
};

}  // namespace parley::ingest
