// test_experiment_quick.cpp — the CI smoke test of `rramsim experiment paper --quick` exactly as a
// user runs it (about a minute in the release build; label noasan: the sanitizer preset skips it,
// test_experiment_cli.cpp covers the same path on a tinier set there).
#include <gtest/gtest.h>

#include <string>

#include "cli_util.hpp"

TEST(ExperimentQuick, RunsEndToEnd) {
  if (!cli_util::have_fmnist("t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string d = cli_util::make_dir("xp_quick");
  const auto r =
      cli_util::run_in(d, "experiment paper --quick --no-progress --out-dir " + d + "/out");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string rep = cli_util::slurp(d + "/out/paper.md");
  EXPECT_NE(rep.find("## Summary"), std::string::npos);
  EXPECT_EQ(rep.find("**Incomplete**"), std::string::npos) << rep;
  EXPECT_NE(r.out.find("wrote " + d + "/out/paper.md"), std::string::npos) << r.out;
}
