// A minimal blocking HTTP/1.1 JSON-RPC client for the loopback benchmarks (tn_bench rpc, testnet).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tnbench {

// A blocking HTTP/1.1 client on one keep-alive connection: POST a JSON body, read the answer.
class HttpConn {
 public:
  HttpConn(const std::string& host, uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) throw std::runtime_error("bad IPv4 host " + host);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + " failed: " + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~HttpConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  // Returns the response body; throws on a closed connection or a non-2xx status.
  std::string post(const std::string& body) {
    std::string req = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: keep-alive\r\n\r\n";
    req += body;
    sendAll(req);
    std::size_t hdrEnd;
    while ((hdrEnd = buf_.find("\r\n\r\n")) == std::string::npos) fill();
    std::string head = buf_.substr(0, hdrEnd);
    buf_.erase(0, hdrEnd + 4);
    std::string lower = head;
    for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    int status = std::atoi(head.c_str() + head.find(' ') + 1);
    std::string out;
    if (auto p = lower.find("content-length:"); p != std::string::npos) {
      std::size_t len = std::stoul(lower.substr(p + 15));
      while (buf_.size() < len) fill();
      out = buf_.substr(0, len);
      buf_.erase(0, len);
    } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        std::size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos) fill();
        std::size_t len = std::stoul(buf_.substr(0, eol), nullptr, 16);
        buf_.erase(0, eol + 2);
        while (buf_.size() < len + 2) fill();
        out += buf_.substr(0, len);
        buf_.erase(0, len + 2);
        if (len == 0) break;
      }
    } else if (status != 204) {
      throw std::runtime_error("response without length: " + head);
    }
    if (status < 200 || status > 299) throw std::runtime_error("HTTP " + std::to_string(status) + ": " + out);
    return out;
  }

 private:
  void sendAll(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
      off += std::size_t(n);
    }
  }
  void fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) throw std::runtime_error("connection closed by the node");
    buf_.append(tmp, std::size_t(n));
  }

  int fd_ = -1;
  std::string buf_;
};

// The `"result":"0x…"` value of a single JSON-RPC answer (a flat scan: answers here are tiny).
inline uint64_t resultQuantity(const std::string& body) {
  auto p = body.find("\"result\"");
  if (p == std::string::npos) throw std::runtime_error("no result in " + body);
  p = body.find("0x", p);
  if (p == std::string::npos) throw std::runtime_error("no quantity in " + body);
  return std::stoull(body.substr(p + 2), nullptr, 16);
}

inline std::size_t countOf(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}


}  // namespace tnbench
