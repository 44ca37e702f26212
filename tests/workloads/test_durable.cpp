// test_durable.cpp — bnn_rename_durable: the file lands under its name with its content, relative
// and absolute paths, each failing step reported with its own message and errno, nothing changed
// when the temporary is missing, the target's folder is missing or memory runs out.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "bnn/durable.h"

namespace {

std::string scratch(const std::string &name) {
  return std::string(::testing::TempDir()) + "/durable_" + std::to_string((long)getpid()) + "_" +
         name;
}

void put(const std::string &p, const std::string &s) {
  std::ofstream(p, std::ios::binary) << s;
}

std::string get(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool exists(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

bool has(const char *msg, const std::string &what) {
  return std::string(msg).find(what) != std::string::npos;
}

}  // namespace

TEST(Durable, RenameReplacesTheTargetWithTheTemporarysContent) {
  const std::string path = scratch("target"), tmp = path + ".tmp";
  put(path, "old");
  put(tmp, "new content");
  ASSERT_EQ(bnn_rename_durable(tmp.c_str(), path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(get(path), "new content");
  EXPECT_FALSE(exists(tmp));
  // A new name (no old file) works the same.
  const std::string fresh = scratch("fresh");
  put(tmp, "x");
  ASSERT_EQ(bnn_rename_durable(tmp.c_str(), fresh.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(get(fresh), "x");
  std::remove(path.c_str());
  std::remove(fresh.c_str());
}

// A name without a slash lives in "." (the directory synced is the current one).
TEST(Durable, RelativeNameWithoutAFolder) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(::testing::TempDir().c_str()), 0);
  const std::string name = "durable_rel_" + std::to_string((long)getpid());
  put(name + ".tmp", "rel");
  EXPECT_EQ(bnn_rename_durable((name + ".tmp").c_str(), name.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(get(name), "rel");
  std::remove(name.c_str());
  ASSERT_EQ(chdir(cwd), 0);
}

TEST(Durable, EachFailedStepSaysWhichAndKeepsErrno) {
  const std::string path = scratch("keep"), tmp = path + ".tmp";
  put(path, "as it was");
  // No temporary: the first step (its fsync) fails; the target is untouched.
  errno = 0;
  EXPECT_EQ(bnn_rename_durable(tmp.c_str(), path.c_str()), BNN_E_IO);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_TRUE(has(bnn_errmsg(), tmp + ": cannot sync to disk: ")) << bnn_errmsg();
  EXPECT_EQ(get(path), "as it was");
  // A target in a missing folder: the rename fails and the temporary stays for the caller.
  put(tmp, "new");
  const std::string nowhere = scratch("no-such-dir") + "/x";
  errno = 0;
  EXPECT_EQ(bnn_rename_durable(tmp.c_str(), nowhere.c_str()), BNN_E_IO);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_TRUE(has(bnn_errmsg(), nowhere + ": cannot rename " + tmp + " into place: "))
      << bnn_errmsg();
  EXPECT_EQ(get(tmp), "new");
  EXPECT_EQ(bnn_rename_durable(nullptr, path.c_str()), BNN_E_ARG);
  EXPECT_EQ(bnn_rename_durable(tmp.c_str(), nullptr), BNN_E_ARG);
  std::remove(tmp.c_str());
  std::remove(path.c_str());
}

TEST(Durable, OutOfMemoryChangesNothing) {
  const std::string path = scratch("nomem"), tmp = path + ".tmp";
  put(path, "old");
  put(tmp, "new");
  bnn_allocator a = {[](void *, size_t) -> void * { return nullptr; },
                     [](void *, void *, size_t) -> void * { return nullptr; },
                     [](void *, void *p) { std::free(p); }, nullptr};
  bnn_set_allocator(&a);
  const bnn_status s = bnn_rename_durable(tmp.c_str(), path.c_str());
  bnn_set_allocator(nullptr);
  EXPECT_EQ(s, BNN_E_NOMEM);
  EXPECT_EQ(get(path), "old");
  EXPECT_EQ(get(tmp), "new");
  std::remove(tmp.c_str());
  std::remove(path.c_str());
}

TEST(Durable, StaleTempsOfDeadWritersAreRemovedOthersKept) {
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  const std::string path = scratch("stale.csv"), d = std::to_string((long)dead);
  const std::string gone = path + ".tmp." + d;                                // a killed writer's
  const std::string live = path + ".tmp." + std::to_string((long)getppid());  // a live process's
  const std::string kept[] = {live,          path + ".tmp." + d + "x", path + ".tmp.",
                              path + ".tmp", path + "x.tmp." + d,      path};
  put(gone, "partial");
  for (const std::string &p : kept) put(p, "keep");
  errno = EDOM;
  bnn_remove_stale_temps(path.c_str());
  EXPECT_EQ(errno, EDOM);
  EXPECT_FALSE(exists(gone));
  for (const std::string &p : kept) {
    EXPECT_TRUE(exists(p)) << p;
    std::remove(p.c_str());
  }
  bnn_remove_stale_temps(nullptr);                   // ignored
  bnn_remove_stale_temps("/nonexistent-dir/x.csv");  // no directory: nothing to do
}
