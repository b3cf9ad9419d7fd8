// Test helpers for the state layer: scratch directories and re-running this binary as a child
// process (for lock and crash tests, which need a second process).
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace tn::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tn-state-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Environment variable naming the directory a child-process test case works on; the test cases
// that only make sense as children do nothing when it is unset.
inline constexpr const char* kChildDirEnv = "TN_STATE_TEST_CHILD_DIR";

// Starts this test binary running only `testCase`, with kChildDirEnv = dir. Returns the pid.
inline pid_t spawnSelf(const std::string& testCase, const std::filesystem::path& dir) {
  std::vector<std::string> args = {"/proc/self/exe", "--test-case=" + testCase, "--no-version",
                                   "--minimal"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string envEntry = std::string(kChildDirEnv) + "=" + dir.string();
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(envEntry.data());
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
    execve("/proc/self/exe", argv.data(), envp.data());
    _exit(127);
  }
  REQUIRE(pid > 0);
  return pid;
}

// Waits for the child; returns its exit code, or 128 + signal if it was killed.
inline int waitChild(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

inline const char* childDir() {
  return std::getenv(kChildDirEnv);
}

}  // namespace tn::test
