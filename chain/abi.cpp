#include "chain/abi.hpp"

#include <limits>

namespace tn::abi {
namespace {

using Kind = Type::Kind;

constexpr std::size_t kWord = 32;
// Largest static head a type may declare (nested fixed arrays multiply); far above any real
// calldata, low enough that size arithmetic cannot overflow.
constexpr std::size_t kMaxStaticSize = std::size_t{1} << 32;

[[noreturn]] void fail(const std::string& msg) { throw Error("abi: " + msg); }

// ---- type text -------------------------------------------------------------------------------

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// A decimal count without sign or leading zeros; nullopt if `s` is not one (or is absurdly long).
std::optional<std::size_t> parseCount(std::string_view s) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

std::size_t staticSize(const Type& t);

class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {}

  Type parseWhole() {
    Type t = parseType();
    if (pos_ != text_.size()) bad("unexpected '" + std::string(1, text_[pos_]) + "'");
    return t;
  }

  std::vector<Type> parseWholeList() {
    std::vector<Type> out;
    if (text_.empty()) return out;
    for (;;) {
      out.push_back(parseType());
      if (pos_ == text_.size()) return out;
      if (text_[pos_] != ',') bad("expected ','");
      ++pos_;
    }
  }

 private:
  [[noreturn]] void bad(const std::string& why) const {
    fail("bad type \"" + std::string(text_) + "\" at " + std::to_string(pos_) + ": " + why);
  }

  Type parseType() {
    Type t = text_.substr(pos_, 1) == "(" ? parseTuple() : parseElementary();
    while (pos_ < text_.size() && text_[pos_] == '[') {
      std::size_t close = text_.find(']', pos_);
      if (close == std::string_view::npos) bad("unclosed '['");
      std::string_view count = text_.substr(pos_ + 1, close - pos_ - 1);
      Type arr;
      arr.kind = Kind::Array;
      if (!count.empty()) {
        auto n = parseCount(count);
        if (!n || *n == 0) bad("array length must be a positive decimal");
        if (*n > std::numeric_limits<unsigned>::max()) bad("array length too large");
        arr.size = static_cast<unsigned>(*n);
      }
      arr.components.push_back(std::move(t));
      t = std::move(arr);
      pos_ = close + 1;
      if (!t.isDynamic() && staticSize(t) > kMaxStaticSize) bad("fixed array too large");
    }
    return t;
  }

  Type parseTuple() {
    ++pos_;  // '('
    Type t;
    t.kind = Kind::Tuple;
    // An empty tuple has no encoding of its own, so arrays of it could claim any length for
    // free; Solidity has no empty structs, so it is refused.
    if (text_.substr(pos_, 1) == ")") bad("empty tuple");
    for (;;) {
      t.components.push_back(parseType());
      if (pos_ >= text_.size()) bad("unclosed '('");
      if (text_[pos_] == ')') break;
      if (text_[pos_] != ',') bad("expected ',' or ')'");
      ++pos_;
    }
    ++pos_;  // ')'
    return t;
  }

  Type parseElementary() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ')' && text_[pos_] != '[')
      ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    Type t;
    auto suffix = [&](std::string_view prefix) -> std::optional<std::string_view> {
      if (word.substr(0, prefix.size()) != prefix) return std::nullopt;
      return word.substr(prefix.size());
    };
    if (word == "address") {
      t.kind = Kind::Address;
    } else if (word == "bool") {
      t.kind = Kind::Bool;
    } else if (word == "string") {
      t.kind = Kind::String;
    } else if (word == "bytes") {
      t.kind = Kind::Bytes;
    } else if (auto n = suffix("bytes")) {
      auto size = parseCount(*n);
      if (!size || *size < 1 || *size > 32) bad("bytesN needs 1 <= N <= 32");
      t.kind = Kind::FixedBytes;
      t.size = *size;
    } else if (auto u = suffix("uint"), i = suffix("int"); u || i) {
      std::string_view n = u ? *u : *i;
      t.kind = u ? Kind::Uint : Kind::Int;
      if (!n.empty()) {
        auto bits = parseCount(n);
        if (!bits || *bits < 8 || *bits > 256 || *bits % 8 != 0)
          bad("integer width must be 8..256 in steps of 8");
        t.bits = static_cast<unsigned>(*bits);
      }
    } else {
      bad(word.empty() ? "missing type" : "unknown type \"" + std::string(word) + "\"");
    }
    return t;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// Bytes a static type occupies inline. Saturates instead of overflowing; callers bound it.
std::size_t staticSize(const Type& t) {
  switch (t.kind) {
    case Kind::Tuple: {
      std::size_t sum = 0;
      for (const Type& c : t.components) sum = std::min(sum + staticSize(c), kMaxStaticSize + 1);
      return sum;
    }
    case Kind::Array: {
      std::size_t elem = staticSize(t.components.at(0));
      if (elem != 0 && t.size > (kMaxStaticSize + 1) / elem) return kMaxStaticSize + 1;
      return elem * t.size;
    }
    default:
      return kWord;
  }
}

// Space a value takes in its parent's head: a dynamic value is an offset word.
std::size_t headSize(const Type& t) { return t.isDynamic() ? kWord : staticSize(t); }

const Type& element(const Type& t) {
  if (t.components.size() != 1) fail("array type without an element type");
  return t.components[0];
}

// The members of a tuple, or one array element type repeated n times (no per-element copies).
struct Seq {
  const std::vector<Type>* list = nullptr;
  const Type* repeated = nullptr;
  std::size_t n = 0;

  static Seq of(const std::vector<Type>& l) { return {&l, nullptr, 0}; }
  static Seq times(const Type& t, std::size_t count) { return {nullptr, &t, count}; }
  std::size_t size() const { return list ? list->size() : n; }
  const Type& operator[](std::size_t i) const { return list ? (*list)[i] : *repeated; }
  std::size_t heads() const {
    if (repeated) {
      std::size_t h = headSize(*repeated);
      return h != 0 && n > std::numeric_limits<std::size_t>::max() / h
                 ? std::numeric_limits<std::size_t>::max()
                 : n * h;
    }
    std::size_t sum = 0;
    for (const Type& t : *list) sum += headSize(t);
    return sum;
  }
};

// ---- encoding --------------------------------------------------------------------------------

void putWord(Bytes& out, const U256& v) { append(out, u256ToBE32(v).view()); }

void putPadded(Bytes& out, BytesView b) {
  append(out, b);
  out.insert(out.end(), (kWord - b.size() % kWord) % kWord, 0);
}

template <class T>
const T& holds(const Value& v, const Type& t) {
  if (const T* p = std::get_if<T>(&v.v)) return *p;
  fail("value does not match type " + t.canonical());
}

void encodeValue(Bytes& out, const Type& t, const Value& v);

// Head/tail layout: static members inline, dynamic ones as an offset (from the start of this
// tuple) to their encoding after all heads.
void encodeSequence(Bytes& out, const Seq& types, const ValueList& values) {
  if (types.size() != values.size())
    fail("expected " + std::to_string(types.size()) + " values, got " + std::to_string(values.size()));
  const std::size_t headTotal = types.heads();
  Bytes tail;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (types[i].isDynamic()) {
      putWord(out, U256(headTotal + tail.size()));
      encodeValue(tail, types[i], values[i]);
    } else {
      encodeValue(out, types[i], values[i]);
    }
  }
  append(out, tail);
}

void encodeValue(Bytes& out, const Type& t, const Value& v) {
  switch (t.kind) {
    case Kind::Uint: {
      const U256& x = holds<U256>(v, t);
      if (t.bits < 256 && (x >> t.bits) != 0) fail("value out of range for " + t.canonical());
      putWord(out, x);
      return;
    }
    case Kind::Int: {
      // Two's complement in 256 bits: bits above N-1 must all copy the sign bit.
      const U256& x = holds<U256>(v, t);
      if (t.bits < 256) {
        U256 high = x >> (t.bits - 1);
        U256 ones = (U256(1) << (257 - t.bits)) - 1;
        if (high != 0 && high != ones) fail("value out of range for " + t.canonical());
      }
      putWord(out, x);
      return;
    }
    case Kind::Address:
      out.insert(out.end(), 12, 0);
      append(out, holds<Address>(v, t).view());
      return;
    case Kind::Bool:
      putWord(out, U256(holds<bool>(v, t) ? 1 : 0));
      return;
    case Kind::FixedBytes: {
      const Bytes& b = holds<Bytes>(v, t);
      if (b.size() != t.size)
        fail(t.canonical() + " needs exactly " + std::to_string(t.size) + " bytes, got " +
             std::to_string(b.size()));
      putPadded(out, b);
      return;
    }
    case Kind::Bytes: {
      const Bytes& b = holds<Bytes>(v, t);
      putWord(out, U256(b.size()));
      putPadded(out, b);
      return;
    }
    case Kind::String: {
      const std::string& s = holds<std::string>(v, t);
      putWord(out, U256(s.size()));
      putPadded(out, asBytes(s));
      return;
    }
    case Kind::Tuple:
      encodeSequence(out, Seq::of(t.components), holds<ValueList>(v, t));
      return;
    case Kind::Array: {
      const ValueList& items = holds<ValueList>(v, t);
      if (t.size == 0) {
        putWord(out, U256(items.size()));
      } else if (items.size() != t.size) {
        fail(t.canonical() + " needs " + std::to_string(t.size) + " elements, got " +
             std::to_string(items.size()));
      }
      encodeSequence(out, Seq::times(element(t), items.size()), items);
      return;
    }
  }
}

// ---- decoding --------------------------------------------------------------------------------

class Decoder {
 public:
  // Offsets may alias (solc allows it), so the decoded tree could be far larger than the input;
  // a budget proportional to the input keeps a malicious payload from exploding in memory.
  explicit Decoder(BytesView data) : data_(data), budget_(4 * (data.size() / kWord) + 64) {}

  ValueList sequence(const Seq& types, std::size_t start) {
    need(start, types.heads(), "head");  // before reserving, so counts are backed by data
    ValueList out;
    out.reserve(types.size());
    std::size_t pos = start;
    for (std::size_t i = 0; i < types.size(); ++i) {
      const Type& t = types[i];
      if (t.isDynamic()) {
        // Offsets count from the start of the enclosing tuple or array body.
        U256 off = word(pos);
        if (off > data_.size() - start) fail("offset out of range");
        out.push_back(value(t, start + static_cast<std::size_t>(off)));
      } else {
        out.push_back(value(t, pos));
      }
      pos += headSize(t);
    }
    return out;
  }

 private:
  // Throws unless [pos, pos+n) lies inside the data.
  void need(std::size_t pos, std::size_t n, const char* what) const {
    if (pos > data_.size() || n > data_.size() - pos) fail(std::string("data too short for ") + what);
  }

  U256 word(std::size_t pos) {
    need(pos, kWord, "word");
    if (budget_ == 0) fail("decoded data too large for its input");
    --budget_;
    return u256FromBE(data_.subspan(pos, kWord));
  }

  // A length word, bounded by what remains after it (each unit needs `unit` bytes).
  std::size_t length(std::size_t pos, std::size_t unit) {
    U256 n = word(pos);
    std::size_t rest = data_.size() - pos - kWord;
    if (n > rest / std::max<std::size_t>(unit, 1)) fail("length out of range");
    return static_cast<std::size_t>(n);
  }

  Value value(const Type& t, std::size_t pos) {
    switch (t.kind) {
      case Kind::Uint: {
        U256 x = word(pos);
        if (t.bits < 256 && (x >> t.bits) != 0) fail("dirty high bits in " + t.canonical());
        return x;
      }
      case Kind::Int: {
        U256 x = word(pos);
        if (t.bits < 256) {
          U256 high = x >> (t.bits - 1);
          U256 ones = (U256(1) << (257 - t.bits)) - 1;
          if (high != 0 && high != ones) fail("bad sign extension in " + t.canonical());
        }
        return x;
      }
      case Kind::Address: {
        U256 x = word(pos);
        if ((x >> 160) != 0) fail("dirty high bits in address");
        return Address::fromView(data_.subspan(pos + 12, 20));
      }
      case Kind::Bool: {
        U256 x = word(pos);
        if (x > 1) fail("bool is neither 0 nor 1");
        return x == 1;
      }
      case Kind::FixedBytes: {
        word(pos);
        BytesView w = data_.subspan(pos, kWord);
        for (std::size_t i = t.size; i < kWord; ++i)
          if (w[i] != 0) fail("dirty low bytes in " + t.canonical());
        return Bytes(w.begin(), w.begin() + t.size);
      }
      case Kind::Bytes:
      case Kind::String: {
        std::size_t n = length(pos, 1);
        // Charge the payload to the budget too, so aliased blobs cannot be copied endlessly.
        std::size_t words = (n + kWord - 1) / kWord;
        if (words > budget_) fail("decoded data too large for its input");
        budget_ -= words;
        BytesView b = data_.subspan(pos + kWord, n);
        if (t.kind == Kind::Bytes) return Bytes(b.begin(), b.end());
        return std::string(asChars(b));
      }
      case Kind::Tuple:
        return sequence(Seq::of(t.components), pos);
      case Kind::Array: {
        const Type& elem = element(t);
        std::size_t n = t.size, start = pos;
        if (t.size == 0) {
          n = length(pos, headSize(elem));
          start = pos + kWord;
        }
        if (n > data_.size()) fail("array longer than its data");
        return sequence(Seq::times(elem, n), start);
      }
    }
    fail("unknown type kind");
  }

  BytesView data_;
  std::size_t budget_;
};

}  // namespace

// ---- Type ------------------------------------------------------------------------------------

Type Type::parse(std::string_view text) { return TypeParser(text).parseWhole(); }

std::vector<Type> Type::parseList(std::string_view text) {
  return TypeParser(text).parseWholeList();
}

bool Type::operator==(const Type& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::Uint:
    case Kind::Int:
      return bits == o.bits;
    case Kind::FixedBytes:
      return size == o.size;
    case Kind::Array:
      return size == o.size && components == o.components;
    case Kind::Tuple:
      return components == o.components;
    default:
      return true;
  }
}

bool Type::isDynamic() const {
  switch (kind) {
    case Kind::Bytes:
    case Kind::String:
      return true;
    case Kind::Array:
      return size == 0 || (!components.empty() && components[0].isDynamic());
    case Kind::Tuple:
      for (const Type& c : components)
        if (c.isDynamic()) return true;
      return false;
    default:
      return false;
  }
}

std::string Type::canonical() const {
  switch (kind) {
    case Kind::Uint:
      return "uint" + std::to_string(bits);
    case Kind::Int:
      return "int" + std::to_string(bits);
    case Kind::Address:
      return "address";
    case Kind::Bool:
      return "bool";
    case Kind::FixedBytes:
      return "bytes" + std::to_string(size);
    case Kind::Bytes:
      return "bytes";
    case Kind::String:
      return "string";
    case Kind::Tuple: {
      std::string s = "(";
      for (std::size_t i = 0; i < components.size(); ++i) {
        if (i) s += ',';
        s += components[i].canonical();
      }
      return s + ")";
    }
    case Kind::Array:
      return (components.empty() ? std::string("?") : components[0].canonical()) + "[" +
             (size ? std::to_string(size) : "") + "]";
  }
  return "?";
}

// ---- Value -----------------------------------------------------------------------------------

namespace {
template <class T>
const T& get(const Value& v, const char* want) {
  if (const T* p = std::get_if<T>(&v.v)) return *p;
  fail(std::string("value is not ") + want);
}
}  // namespace

const U256& Value::asUint() const { return get<U256>(*this, "an integer"); }
uint64_t Value::asU64() const {
  const U256& x = asUint();
  if (x > std::numeric_limits<uint64_t>::max()) fail("integer exceeds 64 bits");
  return static_cast<uint64_t>(x);
}
const Address& Value::asAddress() const { return get<Address>(*this, "an address"); }
bool Value::asBool() const { return get<bool>(*this, "a bool"); }
const Bytes& Value::asBytes() const { return get<Bytes>(*this, "bytes"); }
Hash32 Value::asBytes32() const {
  const Bytes& b = asBytes();
  if (b.size() != 32) fail("value is not 32 bytes");
  return Hash32::fromView(b);
}
const std::string& Value::asString() const { return get<std::string>(*this, "a string"); }
const ValueList& Value::asList() const { return get<ValueList>(*this, "a list"); }

// ---- top level -------------------------------------------------------------------------------

Bytes encode(const std::vector<Type>& types, const ValueList& values) {
  Bytes out;
  encodeSequence(out, Seq::of(types), values);
  return out;
}

ValueList decode(const std::vector<Type>& types, BytesView data) {
  return Decoder(data).sequence(Seq::of(types), 0);
}

Selector selector(std::string_view signature) {
  Hash32 h = keccak256(signature);
  return {h.bytes[0], h.bytes[1], h.bytes[2], h.bytes[3]};
}

Hash32 eventTopic(std::string_view signature) { return keccak256(signature); }

namespace {
constexpr Selector kErrorSelector = {0x08, 0xc3, 0x79, 0xa0};  // Error(string)
}

Bytes encodeError(std::string_view message) {
  Bytes out(kErrorSelector.begin(), kErrorSelector.end());
  append(out, encode({Type::parse("string")}, {Value(std::string(message))}));
  return out;
}

std::optional<std::string> decodeError(BytesView data) {
  if (data.size() < 4 || !std::equal(kErrorSelector.begin(), kErrorSelector.end(), data.begin()))
    return std::nullopt;
  try {
    static const std::vector<Type> kString{Type::parse("string")};
    return decode(kString, data.subspan(4))[0].asString();
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace tn::abi
