// A strict reader of Prometheus text exposition (format 0.0.4) for the metrics tests: it throws on
// anything Prometheus would reject or that our writer must never produce (a sample without its
// family's TYPE, a family twice, HELP after TYPE, a malformed label or value).
#pragma once

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

namespace tn::rpc::test {

struct Exposition {
  std::map<std::string, std::string> types;  // family → "counter" | "gauge"
  std::map<std::string, std::string> help;   // family → text as written (escaped)
  std::map<std::string, double> samples;     // `name{labels}` as written → value

  bool has(const std::string& key) const { return samples.count(key) != 0; }
  double at(const std::string& key) const {
    auto it = samples.find(key);
    if (it == samples.end()) throw std::out_of_range("no sample " + key);
    return it->second;
  }
};

inline bool isNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

inline Exposition parseExposition(const std::string& text) {
  Exposition out;
  std::set<std::string> closed;  // families whose samples have ended
  std::string current;
  std::istringstream in(text);
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("no final newline");
  for (std::string line; std::getline(in, line);) {
    auto fail = [&](const std::string& why) { throw std::runtime_error(why + ": " + line); };
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      auto space = rest.find(' ');
      if (space == std::string::npos) fail("comment without text");
      std::string name = rest.substr(0, space), value = rest.substr(space + 1);
      if (line[2] == 'H') {
        if (out.help.count(name) || closed.count(name)) fail("HELP twice");
        out.help[name] = value;
        if (!current.empty()) closed.insert(current);
        current = name;
      } else {
        if (name != current || out.types.count(name)) fail("TYPE not right after its HELP");
        if (value != "counter" && value != "gauge") fail("unknown type");
        out.types[name] = value;
      }
      continue;
    }
    if (line.empty() || line[0] == '#') fail("unexpected comment or blank line");
    std::size_t i = 0;
    while (i < line.size() && isNameChar(line[i], i == 0)) ++i;
    const std::string name = line.substr(0, i);
    if (name.empty()) fail("no metric name");
    if (name != current || !out.types.count(name)) fail("sample outside its family");
    if (i < line.size() && line[i] == '{') {
      ++i;
      for (bool first = true;; first = false) {
        if (line[i] == '}') break;
        if (!first) {
          if (line[i] != ',') fail("labels not separated by commas");
          ++i;
        }
        std::size_t start = i;
        while (i < line.size() && isNameChar(line[i], i == start) && line[i] != ':') ++i;
        if (i == start || line.compare(i, 2, "=\"") != 0) fail("malformed label");
        i += 2;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            if (i + 1 >= line.size() || std::string("\\\"n").find(line[i + 1]) == std::string::npos)
              fail("bad escape in label value");
            ++i;
          }
          ++i;
        }
        if (i >= line.size()) fail("unterminated label value");
        ++i;
      }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') fail("no space before the value");
    const std::string key = line.substr(0, i), value = line.substr(i + 1);
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') fail("value is not a number");
    if (out.types[name] == "counter" && v < 0) fail("negative counter");
    if (!out.samples.emplace(key, v).second) fail("sample twice");
  }
  return out;
}

}  // namespace tn::rpc::test
