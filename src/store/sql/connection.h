// What the SQL backends (SQLite, PostgreSQL) have in common at the connection level: cached prepared statements
// with typed binds and columns. Queries written once (SqlTx) run on either; a backend throws its own error type
// from these calls, turned into a Result at its store boundary.
//
// Parameters are numbered the SQLite way on both backends: a plain "?" takes the next number, a named parameter
// (":ws") takes the next number at its first use and the same number at every later use.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::store {

// One prepared statement of a backend, owned by its connection's cache.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void bind_text(int index, std::string_view value) = 0;
  virtual void bind_integer(int index, std::int64_t value) = 0;
  virtual void bind_real(int index, double value) = 0;
  virtual void bind_null(int index) = 0;
  virtual void bind_blob(int index, std::string_view bytes) = 0;
  // 1-based number of a named parameter (":ws"); 0 when the statement does not use it.
  virtual int parameter_index(const char* name) const = 0;
  virtual int parameter_count() const = 0;
  virtual bool is_named_parameter(int index) const = 0;
  // Ready to run again, bindings cleared.
  virtual void reset() = 0;
  // Runs the statement on first call; advances to the next row; false when done.
  virtual bool step() = 0;
  virtual std::string text(int column) const = 0;
  virtual std::int64_t integer(int column) const = 0;
  virtual double real(int column) const = 0;
  virtual bool is_null(int column) const = 0;
  virtual std::string sql() const = 0;
};

// A prepared statement in use: binds, runs, reads rows. Reset when it goes out of scope, so the cached statement
// is ready for the next user.
class Statement {
 public:
  explicit Statement(StatementImpl& impl) : impl_(&impl) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { impl_->reset(); }

  Statement& bind(int index, std::string_view value) {
    impl_->bind_text(index, value);
    return *this;
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, std::int64_t value) {
    impl_->bind_integer(index, value);
    return *this;
  }
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value) {
    impl_->bind_real(index, value);
    return *this;
  }
  Statement& bind_null(int index) {
    impl_->bind_null(index);
    return *this;
  }
  Statement& bind_blob(int index, std::string_view bytes) {
    impl_->bind_blob(index, bytes);
    return *this;
  }
  // Binds a named parameter (":ws"); a name the statement does not use is ignored.
  template <typename T>
  Statement& bind(const char* name, const T& value) {
    const int index = impl_->parameter_index(name);
    return index == 0 ? *this : bind(index, value);
  }
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Binds `args` in order to the statement's plain "?" parameters, skipping named ones (":ws"), wherever the
  // named ones stand.
  template <typename... Args>
  Statement& bind_positional(const Args&... args) {
    [[maybe_unused]] int slot = 0;
    (bind(next_unnamed_parameter(slot), args), ...);
    return *this;
  }

  // Makes the statement ready to run again with new bindings.
  void reset() { impl_->reset(); }
  // Advances to the next row; false when done.
  bool step() { return impl_->step(); }
  // Runs a statement that returns no rows.
  void run() {
    while (step()) {
    }
  }

  std::string text(int column) const { return impl_->text(column); }
  std::int64_t integer(int column) const { return impl_->integer(column); }
  double real(int column) const { return impl_->real(column); }
  bool is_null(int column) const { return impl_->is_null(column); }
  std::optional<std::int64_t> optional_integer(int column) const {
    if (is_null(column)) return std::nullopt;
    return integer(column);
  }

  StatementImpl& impl() { return *impl_; }

 private:
  // The index of the first unnamed parameter after `slot` (updated); throws when there is none.
  int next_unnamed_parameter(int& slot) const {
    const int count = impl_->parameter_count();
    while (++slot <= count) {
      if (!impl_->is_named_parameter(slot)) return slot;
    }
    throw std::logic_error("more arguments than parameters in: " + impl_->sql());
  }

  StatementImpl* impl_;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // A cached prepared statement; valid until the returned Statement is destroyed.
  virtual Statement prepare(std::string_view sql) = 0;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  virtual int changes() const = 0;
  // An INSERT of one row into a table keyed by an integer `id`, run by insert(). `insert_sql` has no RETURNING
  // clause: each backend reads the new id back its own way (PostgreSQL: RETURNING id; SQLite: the last inserted
  // rowid, because RETURNING makes SQLite open a statement journal on a table with foreign keys, and every
  // statement journal flushes the full-text index's pending rows into a segment of their own).
  virtual Statement prepare_insert(std::string_view insert_sql) = 0;
  // Runs a statement of prepare_insert; returns the new row's id.
  virtual std::int64_t insert(Statement& statement) = 0;
};

}  // namespace parley::store
