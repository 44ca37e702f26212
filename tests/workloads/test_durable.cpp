// test_durable.cpp — bnn_rename_durable: the file lands under its name with its content, relative
// and absolute paths, each failing step reported with its own message and errno, nothing changed
// when the temporary is missing, the target's folder is missing or memory runs out.
// bnn_atomic_open/commit/abort, bnn_write_file_atomic and bnn_mkdirs: content in place, the
// temporary always gone, the target untouched by every failure (open, write, rename), mkdir -p.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
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

// ---- bnn_atomic_open / commit / abort, bnn_write_file_atomic, bnn_mkdirs ----

TEST(AtomicFile, CommitPutsTheWholeContentInPlaceAndLeavesNoTemporary) {
  const std::string path = scratch("atomic.txt");
  put(path, "old");
  bnn_atomic_file af;
  ASSERT_EQ(bnn_atomic_open(&af, path.c_str()), BNN_OK) << bnn_errmsg();
  const std::string tmp = af.tmp;
  EXPECT_EQ(tmp, path + ".tmp." + std::to_string((long)getpid()));
  std::fputs("new ", af.f);
  EXPECT_EQ(get(path), "old");  // not yet: readers still see the old file
  std::fputs("content", af.f);
  ASSERT_EQ(bnn_atomic_commit(&af), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(af.f, nullptr);
  EXPECT_EQ(af.tmp, nullptr);
  EXPECT_EQ(get(path), "new content");
  EXPECT_FALSE(exists(tmp));
  ASSERT_EQ(bnn_write_file_atomic(path.c_str(), "x\0y", 3), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(get(path), std::string("x\0y", 3));
  ASSERT_EQ(bnn_write_file_atomic(path.c_str(), nullptr, 0), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(get(path), "");
  std::remove(path.c_str());
}

TEST(AtomicFile, AbortAndFailuresLeaveTheTargetAsItWas) {
  const std::string path = scratch("abort.txt");
  put(path, "keep");
  bnn_atomic_file af;
  ASSERT_EQ(bnn_atomic_open(&af, path.c_str()), BNN_OK);
  const std::string tmp = af.tmp;
  std::fputs("half", af.f);
  errno = EDOM;
  bnn_atomic_abort(&af);
  EXPECT_EQ(errno, EDOM);
  EXPECT_FALSE(exists(tmp));
  EXPECT_EQ(get(path), "keep");
  bnn_atomic_abort(&af);  // a released handle: nothing happens
  // No such folder: the open fails, naming the file and the temporary.
  const std::string nowhere = scratch("no-dir") + "/x.csv";
  EXPECT_EQ(bnn_atomic_open(&af, nowhere.c_str()), BNN_E_IO);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_NE(std::string(bnn_errmsg()).find(nowhere + ": cannot create " + nowhere + ".tmp."),
            std::string::npos)
      << bnn_errmsg();
  EXPECT_EQ(af.f, nullptr);
  EXPECT_EQ(bnn_atomic_commit(&af), BNN_E_ARG);  // commit of a failed open
  EXPECT_EQ(bnn_write_file_atomic(nowhere.c_str(), "x", 1), BNN_E_IO);
  EXPECT_EQ(bnn_atomic_open(&af, ""), BNN_E_ARG);
  EXPECT_EQ(bnn_atomic_open(&af, nullptr), BNN_E_ARG);
  // The target is a directory: the rename fails, the temporary is removed.
  const std::string dir = scratch("is-a-dir");
  ASSERT_EQ(bnn_mkdirs((dir + "/inner").c_str()), BNN_OK);
  EXPECT_EQ(bnn_write_file_atomic(dir.c_str(), "x", 1), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("cannot rename"), std::string::npos) << bnn_errmsg();
  EXPECT_FALSE(exists(dir + ".tmp." + std::to_string((long)getpid())));
  rmdir((dir + "/inner").c_str());
  rmdir(dir.c_str());
  std::remove(path.c_str());
}

// A write that fails half way (the file size limit, EFBIG): commit reports it and removes the
// temporary; the old file stays. In a child, so the limit does not touch the test process.
TEST(AtomicFile, AWriteErrorIsReportedAndNothingIsReplaced) {
  const std::string path = scratch("efbig.txt");
  put(path, "old");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {1000, 1000};
    setrlimit(RLIMIT_FSIZE, &rl);
    const std::string big(1 << 20, 'x');
    const bnn_status s = bnn_write_file_atomic(path.c_str(), big.data(), big.size());
    const std::string msg = bnn_errmsg();
    const bool ok = s == BNN_E_IO && errno == EFBIG &&
                    msg.find(path + ": write failed: ") != std::string::npos &&
                    !exists(path + ".tmp." + std::to_string((long)getpid()));
    _exit(ok ? 0 : 1);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
  EXPECT_EQ(get(path), "old");
  std::remove(path.c_str());
}

TEST(Mkdirs, CreatesMissingParentsAcceptsExistingAndRefusesAFileInTheWay) {
  const std::string root = scratch("mk");
  const std::string deep = root + "/a/b/c";
  ASSERT_EQ(bnn_mkdirs(deep.c_str()), BNN_OK) << bnn_errmsg();
  struct stat st;
  ASSERT_EQ(stat(deep.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(bnn_mkdirs(deep.c_str()), BNN_OK);            // already there
  EXPECT_EQ(bnn_mkdirs((deep + "/").c_str()), BNN_OK);    // trailing slash
  EXPECT_EQ(bnn_mkdirs((root + "//a").c_str()), BNN_OK);  // doubled slash
  put(root + "/file", "x");
  EXPECT_EQ(bnn_mkdirs((root + "/file/sub").c_str()), BNN_E_IO);
  EXPECT_EQ(errno, ENOTDIR);
  EXPECT_NE(std::string(bnn_errmsg()).find(root + "/file/sub: cannot create directory: "),
            std::string::npos)
      << bnn_errmsg();
  EXPECT_EQ(bnn_mkdirs((root + "/file").c_str()), BNN_E_IO);  // exists, but not a directory
  EXPECT_EQ(errno, ENOTDIR);
  EXPECT_EQ(bnn_mkdirs(""), BNN_E_ARG);
  EXPECT_EQ(bnn_mkdirs(nullptr), BNN_E_ARG);
  std::remove((root + "/file").c_str());
  rmdir(deep.c_str());
  rmdir((root + "/a/b").c_str());
  rmdir((root + "/a").c_str());
  rmdir(root.c_str());
}
