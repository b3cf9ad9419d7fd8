// A minimal blocking HTTP/1.1 JSON-RPC client for the loopback benchmarks (tn_bench rpc, testnet).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace tnbench {

// A blocking TCP connection with a read buffer: the base of the HTTP and WebSocket clients.
class TcpConn {
 public:
  TcpConn(const std::string& host, uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
      ::close(fd_);
      throw std::runtime_error("bad IPv4 host " + host);
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::string why = std::strerror(errno);
      ::close(fd_);
      throw std::runtime_error("connect to " + host + ":" + std::to_string(port) +
                               " failed: " + why);
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~TcpConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  TcpConn(const TcpConn&) = delete;
  TcpConn& operator=(const TcpConn&) = delete;

 protected:
  void sendAll(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
      off += std::size_t(n);
    }
  }
  // Appends what arrives to buf_; false when a receive timeout set on the socket expired.
  bool fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n <= 0) throw std::runtime_error("connection closed by the node");
    buf_.append(tmp, std::size_t(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
};

// A blocking HTTP/1.1 client on one keep-alive connection: POST a JSON body, read the answer.
class HttpConn : public TcpConn {
 public:
  using TcpConn::TcpConn;

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
};

// A minimal blocking WebSocket client (RFC 6455) for JSON-RPC subscriptions: sends masked text
// frames, reads unmasked ones, answers the server's keep-alive pings.
class WsConn : public TcpConn {
 public:
  WsConn(const std::string& host, uint16_t port) : TcpConn(host, port) {
    sendAll("GET / HTTP/1.1\r\nHost: " + host +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dG4tYmVuY2gtd3Mta2V5IQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    std::size_t hdrEnd;
    while ((hdrEnd = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) throw std::runtime_error("no WebSocket handshake answer");
    if (buf_.compare(0, 12, "HTTP/1.1 101") != 0)
      throw std::runtime_error("WebSocket upgrade refused: " + buf_.substr(0, buf_.find("\r\n")));
    buf_.erase(0, hdrEnd + 4);
  }

  void send(const std::string& text) { sendFrame(0x1, text); }

  // The next text message, or nullopt when `timeoutMs` passes without one.
  std::optional<std::string> receive(int timeoutMs) {
    timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (;;) {
      std::size_t need = 2;
      while (buf_.size() < need)
        if (!fill()) return std::nullopt;
      const auto b0 = uint8_t(buf_[0]), b1 = uint8_t(buf_[1]);
      uint64_t len = b1 & 0x7f;
      std::size_t head = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0) + ((b1 & 0x80) ? 4 : 0);
      while (buf_.size() < head)
        if (!fill()) return std::nullopt;
      if (len >= 126) {
        const std::size_t bytes = len == 126 ? 2 : 8;
        len = 0;
        for (std::size_t i = 0; i < bytes; ++i) len = len << 8 | uint8_t(buf_[2 + i]);
      }
      if (b1 & 0x80) throw std::runtime_error("the server sent a masked frame");
      if (len > (64u << 20)) throw std::runtime_error("WebSocket frame too large");
      while (buf_.size() < head + len)
        if (!fill()) return std::nullopt;
      std::string payload = buf_.substr(head, std::size_t(len));
      buf_.erase(0, head + std::size_t(len));
      switch (b0 & 0x0f) {
        case 0x0:  // continuation
        case 0x1:  // text
          message_ += payload;
          if (b0 & 0x80) return std::exchange(message_, std::string());
          break;
        case 0x8:
          throw std::runtime_error("the node closed the WebSocket");
        case 0x9:
          sendFrame(0xA, payload);  // pong
          break;
        default:
          break;  // pong, binary: not used here
      }
    }
  }

 private:
  void sendFrame(uint8_t opcode, const std::string& payload) {
    std::string f;
    f += char(0x80 | opcode);
    const uint64_t n = payload.size();
    if (n < 126) {
      f += char(0x80 | n);
    } else if (n < 65536) {
      f += char(0x80 | 126);
      f += char(n >> 8);
      f += char(n & 0xff);
    } else {
      f += char(0x80 | 127);
      for (int i = 7; i >= 0; --i) f += char((n >> (8 * i)) & 0xff);
    }
    const char mask[4] = {0x5a, 0x3c, 0x71, 0x0e};  // clients must mask; any key will do
    f.append(mask, 4);
    for (std::size_t i = 0; i < n; ++i) f += char(payload[i] ^ mask[i % 4]);
    sendAll(f);
  }

  std::string message_;  // fragments of a message not yet complete
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
