#include "chain/abi_text.hpp"

#include <cctype>

#include <boost/json.hpp>

namespace tn::abi {
namespace {

using Kind = Type::Kind;

[[noreturn]] void fail(const std::string& msg) { throw Error(msg); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string quoteJson(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// An unsigned magnitude in decimal or 0x-hex; leading zeros are fine for people typing them.
U512 parseMagnitude(std::string_view s, const std::string& what) {
  bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  if (hex) s.remove_prefix(2);
  if (s.empty()) fail("'" + what + "' is not a number");
  U512 v = 0;
  const U512 limit = U512(1) << 257;  // anything this large is out of range for every type
  for (char c : s) {
    int d = hex ? hexDigit(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
    if (d < 0) fail("'" + what + "' is not a " + (hex ? "hex" : "decimal") + " number");
    v = v * (hex ? 16 : 10) + d;
    if (v > limit) fail("'" + what + "' is too large");
  }
  return v;
}

U256 toU256(const U512& v) { return U256(v); }

Value parseInteger(const Type& t, std::string_view text) {
  std::string shown(text);
  bool negative = !text.empty() && text.front() == '-';
  if (negative || (!text.empty() && text.front() == '+')) text.remove_prefix(1);
  U512 mag = parseMagnitude(text, shown);
  if (t.kind == Kind::Uint) {
    if (negative && mag != 0) fail(t.canonical() + " cannot be negative: '" + shown + "'");
    if (mag >> t.bits != 0) fail("'" + shown + "' is out of range for " + t.canonical());
    return toU256(mag);
  }
  const U512 half = U512(1) << (t.bits - 1);
  if (negative ? mag > half : mag >= half)
    fail("'" + shown + "' is out of range for " + t.canonical());
  if (!negative || mag == 0) return toU256(mag);
  return toU256((U512(1) << 256) - mag);  // two's complement over the full word, as ABI encodes
}

Bytes parseHexBytes(const Type& t, std::string_view text) {
  try {
    Bytes b = fromHex(text);
    if (t.kind == Kind::FixedBytes && b.size() != t.size)
      fail(t.canonical() + " needs exactly " + std::to_string(t.size) + " bytes, got " +
           std::to_string(b.size()));
    return b;
  } catch (const std::invalid_argument& e) {
    fail("'" + std::string(text) + "' is not hex for " + t.canonical() + ": " + e.what());
  }
}

// One element of a bracketed list: its raw text and whether it was a "quoted" string.
struct Item {
  std::string text;
  bool quoted = false;
};

// Reads a JSON string literal starting at s[i] == '"'; advances i past the closing quote.
std::string readQuoted(std::string_view s, std::size_t& i) {
  std::size_t start = i++;
  bool escaped = false;
  for (; i < s.size(); ++i) {
    if (escaped) {
      escaped = false;
    } else if (s[i] == '\\') {
      escaped = true;
    } else if (s[i] == '"') {
      ++i;
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(s.substr(start, i - start), ec);
      if (ec || !v.is_string()) fail("bad quoted string " + std::string(s.substr(start, i - start)));
      return std::string(v.as_string());
    }
  }
  fail("unterminated quoted string in '" + std::string(s) + "'");
}

// Splits "[a, (b, c), "d,e"]" into its top-level items. `tupleOk` also accepts (..).
std::vector<Item> splitList(std::string_view text, bool tupleOk, const Type& t) {
  text = trim(text);
  if (text.size() < 2 || !((text.front() == '[' && text.back() == ']') ||
                           (tupleOk && text.front() == '(' && text.back() == ')')))
    fail("'" + std::string(text) + "' is not a " + (tupleOk ? "(..) or [..]" : "[..]") +
         " list for " + t.canonical());
  std::string_view body = text.substr(1, text.size() - 2);
  std::vector<Item> items;
  if (trim(body).empty()) return items;
  std::size_t i = 0;
  while (true) {
    while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
    Item item;
    if (i < body.size() && body[i] == '"') {
      item.text = readQuoted(body, i);
      item.quoted = true;
    } else {
      std::size_t start = i;
      int depth = 0;
      for (; i < body.size(); ++i) {
        char c = body[i];
        if (c == '"') {
          readQuoted(body, i);  // skip a nested quoted element, commas and all
          --i;
        } else if (c == '[' || c == '(') {
          ++depth;
        } else if (c == ']' || c == ')') {
          if (--depth < 0) fail("unbalanced brackets in '" + std::string(text) + "'");
        } else if (c == ',' && depth == 0) {
          break;
        }
      }
      if (depth != 0) fail("unbalanced brackets in '" + std::string(text) + "'");
      item.text = std::string(trim(body.substr(start, i - start)));
    }
    while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
    items.push_back(std::move(item));
    if (i == body.size()) break;
    if (body[i] != ',') fail("expected ',' in '" + std::string(text) + "'");
    ++i;
  }
  return items;
}

Value parseItem(const Type& t, const Item& item) {
  // A quoted element is taken literally for strings; for other types the quotes only group.
  if (item.quoted && t.kind == Kind::String) return Value(item.text);
  return parseText(t, item.text);
}

std::string formatInner(const Type& t, const Value& v);

std::string formatList(const Type& elem, const ValueList& list, char open, char close) {
  std::string out(1, open);
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ", ";
    out += formatInner(elem, list[i]);
  }
  return out + close;
}

std::string formatTuple(const Type& t, const ValueList& list) {
  if (list.size() != t.components.size()) fail("tuple value has the wrong number of fields");
  std::string out = "(";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ", ";
    out += formatInner(t.components[i], list[i]);
  }
  return out + ")";
}

std::string formatInner(const Type& t, const Value& v) {
  if (t.kind == Kind::String) return quoteJson(v.asString());
  return formatText(t, v);
}

// Canonical type text from a declaration that may carry names ("address to"), data locations
// ("string memory s") or spaces; tuples are normalised recursively.
std::string normalizeTypeList(std::string_view text);

std::string normalizeType(std::string_view part) {
  part = trim(part);
  if (part.empty()) fail("empty type in signature");
  std::string out;
  std::size_t i = 0;
  if (part.front() == '(') {
    int depth = 0;
    for (; i < part.size(); ++i) {
      if (part[i] == '(') ++depth;
      if (part[i] == ')' && --depth == 0) break;
    }
    if (i == part.size()) fail("unbalanced parentheses in '" + std::string(part) + "'");
    out = "(" + normalizeTypeList(part.substr(1, i - 1)) + ")";
    ++i;
  } else if (part.size() > 5 && part.substr(0, 5) == "tuple" && part[5] == '(') {
    return normalizeType(part.substr(5));  // "tuple(uint256,address)" as some tools print it
  }
  // The rest of the type is everything up to the first space: the base name and array suffixes.
  while (i < part.size() && !std::isspace(static_cast<unsigned char>(part[i]))) out += part[i++];
  return out;
}

std::string normalizeTypeList(std::string_view text) {
  std::string out;
  if (trim(text).empty()) return out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ',';
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      if (!out.empty()) out += ',';
      out += normalizeType(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Finds the ')' matching the '(' at s[open].
std::size_t matchParen(std::string_view s, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')' && --depth == 0) return i;
  }
  fail("unbalanced parentheses in signature '" + std::string(s) + "'");
}

}  // namespace

Value parseText(const Type& t, std::string_view raw) {
  // Strings keep their exact text (spaces included); everything else tolerates padding.
  if (t.kind == Kind::String) return Value(std::string(raw));
  std::string_view text = trim(raw);
  switch (t.kind) {
    case Kind::Uint:
    case Kind::Int:
      return parseInteger(t, text);
    case Kind::Address:
      try {
        return Value(Address::parse(text));
      } catch (const std::invalid_argument& e) {
        fail("'" + std::string(text) + "' is not an address: " + e.what());
      }
    case Kind::Bool: {
      std::string lower;
      for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "true" || lower == "1") return Value(true);
      if (lower == "false" || lower == "0") return Value(false);
      fail("'" + std::string(text) + "' is not a bool (true/false)");
    }
    case Kind::FixedBytes:
    case Kind::Bytes:
      return Value(parseHexBytes(t, text));
    case Kind::Array: {
      std::vector<Item> items = splitList(text, false, t);
      if (t.size != 0 && items.size() != t.size)
        fail(t.canonical() + " needs " + std::to_string(t.size) + " elements, got " +
             std::to_string(items.size()));
      ValueList out;
      for (const Item& item : items) out.push_back(parseItem(t.components.at(0), item));
      return Value(std::move(out));
    }
    case Kind::Tuple: {
      std::vector<Item> items = splitList(text, true, t);
      if (items.size() != t.components.size())
        fail(t.canonical() + " needs " + std::to_string(t.components.size()) + " fields, got " +
             std::to_string(items.size()));
      ValueList out;
      for (std::size_t i = 0; i < items.size(); ++i)
        out.push_back(parseItem(t.components[i], items[i]));
      return Value(std::move(out));
    }
    case Kind::String:
      break;
  }
  fail("unsupported type " + t.canonical());
}

ValueList parseTextList(const std::vector<Type>& types, const std::vector<std::string>& args) {
  if (args.size() != types.size()) {
    std::string list;
    for (const Type& t : types) list += (list.empty() ? "" : ",") + t.canonical();
    fail("expected " + std::to_string(types.size()) + " argument(s) (" + list + "), got " +
         std::to_string(args.size()));
  }
  ValueList out;
  for (std::size_t i = 0; i < types.size(); ++i) {
    try {
      out.push_back(parseText(types[i], args[i]));
    } catch (const Error& e) {
      fail("argument " + std::to_string(i + 1) + " (" + types[i].canonical() + "): " + e.what());
    }
  }
  return out;
}

std::string formatText(const Type& t, const Value& v) {
  switch (t.kind) {
    case Kind::Uint:
      return u256ToDecimal(v.asUint());
    case Kind::Int: {
      const U256& x = v.asUint();
      // Decoded intN values are sign-extended words; tolerate N-bit two's complement too.
      if (x >> 255 != 0) return "-" + ((U512(1) << 256) - U512(x)).str();
      if (t.bits < 256 && x >> (t.bits - 1) != 0 && x >> t.bits == 0)
        return "-" + ((U512(1) << t.bits) - U512(x)).str();
      return u256ToDecimal(x);
    }
    case Kind::Address:
      return v.asAddress().checksumHex();
    case Kind::Bool:
      return v.asBool() ? "true" : "false";
    case Kind::FixedBytes:
    case Kind::Bytes:
      return toHex(v.asBytes());
    case Kind::String:
      return v.asString();
    case Kind::Array:
      return formatList(t.components.at(0), v.asList(), '[', ']');
    case Kind::Tuple:
      return formatTuple(t, v.asList());
  }
  fail("unsupported type " + t.canonical());
}

boost::json::value toJson(const Type& t, const Value& v) {
  switch (t.kind) {
    case Kind::Uint:
    case Kind::Int:
    case Kind::Address:
    case Kind::FixedBytes:
    case Kind::Bytes:
      return boost::json::string(formatText(t, v));
    case Kind::Bool:
      return v.asBool();
    case Kind::String:
      return boost::json::string(v.asString());
    case Kind::Array: {
      boost::json::array out;
      for (const Value& e : v.asList()) out.push_back(toJson(t.components.at(0), e));
      return out;
    }
    case Kind::Tuple: {
      const ValueList& list = v.asList();
      if (list.size() != t.components.size()) fail("tuple value has the wrong number of fields");
      boost::json::array out;
      for (std::size_t i = 0; i < list.size(); ++i) out.push_back(toJson(t.components[i], list[i]));
      return out;
    }
  }
  fail("unsupported type " + t.canonical());
}

std::string FunctionSig::canonical() const {
  std::string out = name + "(";
  for (std::size_t i = 0; i < inputs.size(); ++i) out += (i ? "," : "") + inputs[i].canonical();
  return out + ")";
}

Selector FunctionSig::selector() const { return abi::selector(canonical()); }

FunctionSig parseSignature(std::string_view text) {
  std::string_view s = trim(text);
  if (s.substr(0, 9) == "function ") s = trim(s.substr(9));
  std::size_t open = s.find('(');
  if (open == std::string_view::npos) fail("signature '" + std::string(text) + "' has no '('");
  FunctionSig sig;
  sig.name = std::string(trim(s.substr(0, open)));
  bool nameOk = !sig.name.empty() && !std::isdigit(static_cast<unsigned char>(sig.name[0]));
  for (char c : sig.name)
    nameOk = nameOk && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$');
  if (!nameOk) fail("bad function name in signature '" + std::string(text) + "'");

  std::size_t close = matchParen(s, open);
  sig.inputs = Type::parseList(normalizeTypeList(s.substr(open + 1, close - open - 1)));
  std::string_view rest = trim(s.substr(close + 1));
  // Modifiers a copied declaration may carry; they do not change the selector.
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (std::string_view word : {"external", "public", "view", "pure", "payable", "nonpayable"}) {
      if (rest.substr(0, word.size()) == word &&
          (rest.size() == word.size() ||
           std::isspace(static_cast<unsigned char>(rest[word.size()])))) {
        rest = trim(rest.substr(word.size()));
        stripped = true;
      }
    }
  }
  if (rest.substr(0, 7) == "returns") rest = trim(rest.substr(7));
  if (!rest.empty()) {
    if (rest.front() != '(') fail("unexpected '" + std::string(rest) + "' in signature");
    std::size_t outClose = matchParen(rest, 0);
    if (!trim(rest.substr(outClose + 1)).empty())
      fail("unexpected text after the outputs in signature '" + std::string(text) + "'");
    sig.outputs = Type::parseList(normalizeTypeList(rest.substr(1, outClose - 1)));
    sig.hasOutputs = true;
  }
  return sig;
}

}  // namespace tn::abi
