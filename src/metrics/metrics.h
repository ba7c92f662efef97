// Operational metrics in the Prometheus text format (0.0.4): counters, gauges and histograms, each in a family
// named `parley_…` with fixed label names. The hot path only touches atomics: an increment is one relaxed
// fetch_add, a labelled child is found in a lock-free open-addressing table (created once, never removed), and
// callers on the hottest paths keep the child they found. Values that live elsewhere (queue depths, rows in the
// store, the process's memory) are read at scrape time by collectors, which unregister when their owner goes.
//
// One registry per process (`registry()`): every module feeds it without plumbing, and GET /metrics renders it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::metrics {

class Counter {
 public:
  struct Options {};
  explicit Counter(const Options& = {}) {}
  void add(std::uint64_t amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  struct Options {};
  explicit Gauge(const Options& = {}) {}
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Upper bounds of latency buckets, in seconds: 0.5 ms to 30 s.
std::span<const double> latency_buckets();
// Upper bounds for rates such as tokens per second: 1 to 5,000.
std::span<const double> rate_buckets();

class Histogram {
 public:
  struct Options {
    std::span<const double> bounds = latency_buckets();  // ascending upper bounds; +Inf is implied
  };
  explicit Histogram(const Options& options);
  void observe(double value);
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (= count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds + 1 (the last is +Inf), not cumulative
  std::atomic<double> sum_{0};
};

// Records the seconds since construction into a histogram when it goes out of scope.
class Timer {
 public:
  explicit Timer(Histogram& histogram) : histogram_(&histogram), start_(std::chrono::steady_clock::now()) {}
  ~Timer() {
    if (histogram_ != nullptr) histogram_->observe(elapsed_seconds());
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  double elapsed_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  Histogram* histogram_;
  std::chrono::steady_clock::time_point start_;
};

enum class Type { counter, gauge, histogram };

// The text format of one family: "# HELP", "# TYPE" and its samples. Used by families and collectors alike.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void header(std::string_view name, std::string_view help, Type type);
  // name{label="value",...} value
  void sample(std::string_view name, std::span<const std::string> label_names, std::span<const std::string> values,
              double value, std::string_view extra_label = {}, std::string_view extra_value = {});
  void histogram(std::string_view name, std::span<const std::string> label_names,
                 std::span<const std::string> values, const Histogram::Snapshot& snapshot,
                 std::span<const double> bounds);

 private:
  std::string& out_;
};

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names, Type type)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), type_(type) {}
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  Type type() const { return type_; }
  virtual void render(Writer& writer) const = 0;

 protected:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  Type type_;
};

// The label value that stands for every label set beyond a family's capacity.
inline constexpr std::string_view kOverflowLabel = "_other";

// A metric per combination of label values. Lookups never lock: children sit in a fixed table of atomic pointers,
// inserted with compare-and-swap. A family full to its capacity counts further label sets under kOverflowLabel.
template <typename Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, Type type,
         typename Metric::Options options, std::size_t capacity);
  ~Family() override;

  // The child for these label values (as many as label_names()).
  Metric& labels(std::initializer_list<std::string_view> values) { return find(values); }
  Metric& labels(std::span<const std::string_view> values) { return find(values); }
  // The only child of a family without labels.
  Metric& get() { return find({}); }
  void render(Writer& writer) const override;

 private:
  struct Child {
    std::vector<std::string> values;
    std::size_t hash;
    Metric metric;
  };
  Metric& find(std::span<const std::string_view> values);

  typename Metric::Options options_;
  std::size_t capacity_ = 0;
  std::atomic<std::size_t> size_{0};
  std::size_t mask_ = 0;
  std::unique_ptr<std::atomic<Child*>[]> slots_;
  std::unique_ptr<Child> overflow_;
};

// What a collector emits at scrape time; samples of one name may come from several collectors (one per provider,
// say) and are written together under one header. Of two samples with the same name and labels (two generations of
// one provider during a configuration reload) the first is kept, so that a scrape never holds a duplicate.
class Sink {
 public:
  void gauge(std::string_view name, std::string_view help, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
             double value) {
    add(name, help, Type::gauge, labels, value);
  }
  void counter(std::string_view name, std::string_view help, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
               double value) {
    add(name, help, Type::counter, labels, value);
  }

 private:
  friend class Registry;
  struct Series {
    std::string help;
    Type type = Type::gauge;
    std::vector<std::string> label_names;
    std::map<std::vector<std::string>, double> samples;
  };
  void add(std::string_view name, std::string_view help, Type type,
           std::initializer_list<std::pair<std::string_view, std::string_view>> labels, double value);
  std::map<std::string, Series, std::less<>> series_;
};

using Collector = std::function<void(Sink&)>;

class Registry;

// Keeps a collector registered while it lives.
class Collection {
 public:
  Collection() = default;
  Collection(Registry* registry, std::uint64_t id) : registry_(registry), id_(id) {}
  Collection(Collection&& other) noexcept : registry_(other.registry_), id_(other.id_) { other.registry_ = nullptr; }
  Collection& operator=(Collection&& other) noexcept;
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;
  ~Collection() { reset(); }
  void reset();

 private:
  Registry* registry_ = nullptr;
  std::uint64_t id_ = 0;
};

class Registry {
 public:
  Registry();
  // The family of this name, created on first use; a second call with the same name returns the same family (its
  // type and label names must match: a mismatch is a programming error and throws std::logic_error).
  Family<Counter>& counter(std::string_view name, std::string_view help, std::vector<std::string> label_names = {},
                           std::size_t capacity = 1024);
  Family<Gauge>& gauge(std::string_view name, std::string_view help, std::vector<std::string> label_names = {},
                       std::size_t capacity = 1024);
  Family<Histogram>& histogram(std::string_view name, std::string_view help, std::vector<std::string> label_names = {},
                               std::span<const double> bounds = latency_buckets(), std::size_t capacity = 256);
  // Runs `collector` at every scrape until the returned handle is destroyed.
  [[nodiscard]] Collection collect(Collector collector);
  // Everything, in the text format 0.0.4.
  std::string render() const;

 private:
  friend class Collection;
  void remove(std::uint64_t id);
  template <typename Metric>
  Family<Metric>& family(std::string_view name, std::string_view help, std::vector<std::string> label_names, Type type,
                         typename Metric::Options options, std::size_t capacity);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::map<std::uint64_t, Collector> collectors_;
  std::uint64_t next_id_ = 1;
};

// The process's registry (with the process collector: memory, open files, CPU, threads).
Registry& registry();

// The Content-Type of the text format.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace parley::metrics
