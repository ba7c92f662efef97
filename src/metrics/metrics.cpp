#include "metrics/metrics.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "metrics/process.h"

namespace parley::metrics {
namespace {

constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                      0.25,   0.5,   1,      2.5,   5,    10,   30};
constexpr double kRateBuckets[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};

std::size_t hash_values(std::span<const std::string_view> values) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a, with a separator between values
  for (const auto value : values) {
    for (const char c : value) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    hash = (hash ^ 0xffu) * 1099511628211ull;
  }
  return static_cast<std::size_t>(hash);
}

void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buffer[32];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(value)).ptr;
    out.append(buffer, end);
  } else {
    // Shortest round-trip text; plain decimals for the usual magnitudes ("0.0005", not "5e-04").
    char buffer[64];
    const bool plain = std::fabs(value) >= 1e-6 && std::fabs(value) < 1e15;
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value,
                                   plain ? std::chars_format::fixed : std::chars_format::general).ptr;
    out.append(buffer, end);
  }
}

// Label values escape backslash, double quote and newline; HELP text backslash and newline.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::counter: return "counter";
    case Type::gauge: return "gauge";
    case Type::histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

std::span<const double> latency_buckets() { return kLatencyBuckets; }
std::span<const double> rate_buckets() { return kRateBuckets; }

Histogram::Histogram(const Options& options)
    : bounds_(options.bounds), buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(options.bounds.size() + 1)) {}

void Histogram::observe(double value) {
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

void Writer::header(std::string_view name, std::string_view help, Type type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void Writer::sample(std::string_view name, std::span<const std::string> label_names,
                    std::span<const std::string> values, double value, std::string_view extra_label,
                    std::string_view extra_value) {
  out_ += name;
  if (!label_names.empty() || !extra_label.empty()) {
    out_ += '{';
    bool first = true;
    for (std::size_t i = 0; i < label_names.size(); ++i) {
      if (!first) out_ += ',';
      first = false;
      out_ += label_names[i];
      out_ += "=\"";
      append_escaped(out_, values[i], true);
      out_ += '"';
    }
    if (!extra_label.empty()) {
      if (!first) out_ += ',';
      out_ += extra_label;
      out_ += "=\"";
      out_ += extra_value;
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  append_number(out_, value);
  out_ += '\n';
}

void Writer::histogram(std::string_view name, std::span<const std::string> label_names,
                       std::span<const std::string> values, const Histogram::Snapshot& snapshot,
                       std::span<const double> bounds) {
  std::string bucket_name = std::string(name) + "_bucket";
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    std::string bound;
    append_number(bound, i < bounds.size() ? bounds[i] : INFINITY);
    sample(bucket_name, label_names, values, static_cast<double>(snapshot.cumulative[i]), "le", bound);
  }
  sample(std::string(name) + "_sum", label_names, values, snapshot.sum);
  sample(std::string(name) + "_count", label_names, values, static_cast<double>(snapshot.count));
}

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names, Type type,
                       typename Metric::Options options, std::size_t capacity)
    : FamilyBase(std::move(name), std::move(help), std::move(label_names), type), options_(options) {
  // At most half full, so that probes stay short.
  const std::size_t size = std::bit_ceil(std::max<std::size_t>(2, capacity * 2));
  mask_ = size - 1;
  slots_ = std::make_unique<std::atomic<Child*>[]>(size);
  capacity_ = std::max<std::size_t>(1, capacity);
  overflow_.reset(new Child{std::vector<std::string>(label_names_.size(), std::string(kOverflowLabel)), 0,
                            Metric(options_)});
}

template <typename Metric>
Family<Metric>::~Family() {
  for (std::size_t i = 0; i <= mask_; ++i) delete slots_[i].load(std::memory_order_acquire);
}

template <typename Metric>
Metric& Family<Metric>::find(std::span<const std::string_view> values) {
  if (values.size() != label_names_.size()) {
    throw std::logic_error("metric " + name_ + " takes " + std::to_string(label_names_.size()) + " label values");
  }
  const std::size_t hash = hash_values(values);
  const auto matches = [&](const Child& child) {
    return child.hash == hash && std::equal(child.values.begin(), child.values.end(), values.begin(), values.end());
  };
  for (std::size_t probe = 0; probe <= mask_; ++probe) {
    std::atomic<Child*>& slot = slots_[(hash + probe) & mask_];
    Child* child = slot.load(std::memory_order_acquire);
    if (child == nullptr) {
      if (size_.load(std::memory_order_relaxed) >= capacity_) break;
      auto fresh = std::unique_ptr<Child>(new Child{std::vector<std::string>(values.begin(), values.end()), hash, Metric(options_)});
      if (slot.compare_exchange_strong(child, fresh.get(), std::memory_order_acq_rel, std::memory_order_acquire)) {
        size_.fetch_add(1, std::memory_order_relaxed);
        return fresh.release()->metric;
      }
      // Another thread filled the slot first: `child` is now what it stored.
    }
    if (matches(*child)) return child->metric;
  }
  return overflow_->metric;
}

template <typename Metric>
void Family<Metric>::render(Writer& writer) const {
  writer.header(name_, help_, type_);
  const auto render_child = [&](const Child& child) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      writer.histogram(name_, label_names_, child.values, child.metric.snapshot(), child.metric.bounds());
    } else {
      writer.sample(name_, label_names_, child.values, static_cast<double>(child.metric.value()));
    }
  };
  for (std::size_t i = 0; i <= mask_; ++i) {
    if (const Child* child = slots_[i].load(std::memory_order_acquire)) render_child(*child);
  }
  if (!label_names_.empty() && size_.load(std::memory_order_relaxed) >= capacity_) render_child(*overflow_);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void Sink::add(std::string_view name, std::string_view help, Type type,
               std::initializer_list<std::pair<std::string_view, std::string_view>> labels, double value) {
  auto it = series_.find(name);
  if (it == series_.end()) {
    Series series;
    series.help = help;
    series.type = type;
    for (const auto& [label, unused] : labels) series.label_names.emplace_back(label);
    it = series_.emplace(std::string(name), std::move(series)).first;
  }
  std::vector<std::string> values;
  values.reserve(labels.size());
  for (const auto& [unused, label_value] : labels) values.emplace_back(label_value);
  if (values.size() != it->second.label_names.size()) {
    throw std::logic_error("collected metric " + std::string(name) + " with differing labels");
  }
  it->second.samples.emplace(std::move(values), value);
}

Collection& Collection::operator=(Collection&& other) noexcept {
  if (this != &other) {
    reset();
    registry_ = other.registry_;
    id_ = other.id_;
    other.registry_ = nullptr;
  }
  return *this;
}

void Collection::reset() {
  if (registry_ != nullptr) registry_->remove(id_);
  registry_ = nullptr;
}

Registry::Registry() = default;

template <typename Metric>
Family<Metric>& Registry::family(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                                 Type type, typename Metric::Options options, std::size_t capacity) {
  std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name() != name) continue;
    auto* same = dynamic_cast<Family<Metric>*>(existing.get());
    if (same == nullptr || existing->type() != type || existing->label_names() != label_names) {
      throw std::logic_error("metric " + std::string(name) + " registered twice with different types or labels");
    }
    return *same;
  }
  auto created = std::make_unique<Family<Metric>>(std::string(name), std::string(help), std::move(label_names), type,
                                                  options, capacity);
  auto& reference = *created;
  families_.push_back(std::move(created));
  return reference;
}

Family<Counter>& Registry::counter(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                                   std::size_t capacity) {
  return family<Counter>(name, help, std::move(label_names), Type::counter, {}, capacity);
}

Family<Gauge>& Registry::gauge(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                               std::size_t capacity) {
  return family<Gauge>(name, help, std::move(label_names), Type::gauge, {}, capacity);
}

Family<Histogram>& Registry::histogram(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names, std::span<const double> bounds,
                                       std::size_t capacity) {
  return family<Histogram>(name, help, std::move(label_names), Type::histogram, Histogram::Options{bounds}, capacity);
}

Collection Registry::collect(Collector collector) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  collectors_.emplace(id, std::move(collector));
  return Collection(this, id);
}

void Registry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  collectors_.erase(id);
}

std::string Registry::render() const {
  std::string out;
  out.reserve(64 * 1024);
  Writer writer(out);
  Sink sink;
  {
    std::lock_guard lock(mutex_);
    for (const auto& family : families_) family->render(writer);
    for (const auto& [id, collector] : collectors_) collector(sink);
  }
  for (const auto& [name, series] : sink.series_) {
    writer.header(name, series.help, series.type);
    for (const auto& [values, value] : series.samples) writer.sample(name, series.label_names, values, value);
  }
  return out;
}

Registry& registry() {
  static Registry instance;
  static const Collection process = instance.collect(collect_process);
  return instance;
}

}  // namespace parley::metrics
