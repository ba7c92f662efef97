#include "ingest/zip_archive.h"

#include <zip.h>

#include <algorithm>

namespace parley::ingest {
namespace {

struct ZipFileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

std::string megabytes(std::size_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

}  // namespace

struct ZipArchive::Handle {
  zip_t* archive = nullptr;
  ~Handle() {
    if (archive != nullptr) zip_discard(archive);
  }
};

ZipArchive::ZipArchive(std::unique_ptr<Handle> handle, std::size_t file_bytes, std::string format, ZipLimits limits)
    : handle_(std::move(handle)), file_bytes_(file_bytes), format_(std::move(format)), limits_(limits) {}
ZipArchive::ZipArchive(ZipArchive&&) noexcept = default;
ZipArchive& ZipArchive::operator=(ZipArchive&&) noexcept = default;
ZipArchive::~ZipArchive() = default;

Result<ZipArchive> ZipArchive::open(std::string_view bytes, std::string format, ZipLimits limits) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return make_error(ErrorCode::internal, "cannot read the upload");
  }
  auto handle = std::make_unique<Handle>();
  handle->archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  zip_error_fini(&error);
  if (handle->archive == nullptr) {
    zip_source_free(source);
    return make_error(ErrorCode::unprocessable, "the " + format + " is damaged or not a " + format + " (not a zip archive)");
  }
  const zip_int64_t entries = zip_get_num_entries(handle->archive, 0);
  if (entries < 0 || static_cast<std::size_t>(entries) > limits.max_entries) {
    return make_error(ErrorCode::unprocessable, "the " + format + " has too many parts");
  }
  return ZipArchive(std::move(handle), bytes.size(), std::move(format), limits);
}

Result<std::optional<std::string>> ZipArchive::read(const char* name) {
  const zip_int64_t index = zip_name_locate(handle_->archive, name, 0);
  if (index < 0) return std::optional<std::string>();
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(handle_->archive, static_cast<zip_uint64_t>(index), 0));
  if (!file) return make_error(ErrorCode::unprocessable, std::string("cannot read ") + name + " in the " + format_ + " (encrypted?)");
  std::string out;
  char buffer[64 << 10];
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), buffer, sizeof buffer);
    if (n < 0) return make_error(ErrorCode::unprocessable, "the " + format_ + " part " + name + " is damaged");
    if (n == 0) break;
    const auto count = static_cast<std::size_t>(n);
    inflated_ += count;
    if (out.size() + count > limits_.max_part_bytes) {
      return make_error(ErrorCode::unprocessable, std::string(name) + " in the " + format_ + " inflates to more than " +
                                                      megabytes(limits_.max_part_bytes) + " (a zip bomb?)");
    }
    if (inflated_ > limits_.max_total_bytes) {
      return make_error(ErrorCode::unprocessable,
                        "the " + format_ + " inflates to more than " + megabytes(limits_.max_total_bytes) + " (a zip bomb?)");
    }
    if (inflated_ > limits_.ratio_floor &&
        static_cast<double>(inflated_) > limits_.max_ratio * static_cast<double>(std::max<std::size_t>(file_bytes_, 1))) {
      return make_error(ErrorCode::unprocessable, "the " + format_ + " inflates to more than " +
                                                      std::to_string(static_cast<int>(limits_.max_ratio)) +
                                                      " times its size (a zip bomb?)");
    }
    out.append(buffer, count);
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace parley::ingest
