// test_train_cli.cpp — `rramsim train` end to end on small subsets: bad options and data paths give
// one clear error line and a non-zero exit; a run exports a model file, a log and a checkpoint;
// --resume reaches the same final files as an uninterrupted run; the provenance stays valid JSON
// whatever the paths hold.
#include <gtest/gtest.h>

#include "cli_util.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <jansson.h>

#include "bnn/bnn.h"

namespace {

using cli_util::Result;
using cli_util::slurp;

std::string dir() {
  static std::string d = cli_util::make_dir("bet_cli_");
  return d;
}

Result run(const std::string &args) {
  return cli_util::run_in(dir(), "train " + args);
}

bool have_fmnist() {
  return cli_util::have_fmnist("train-images-idx3-ubyte.gz");
}

const std::string kSmall =
    "--arch 784-64-10 --data fashion-mnist --train-limit 600 --test-limit 200 --batch 100 "
    "--quiet --threads 2 ";

}  // namespace

TEST(TrainCli, HelpAndUsageErrors) {
  Result r = run("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--flip-grad"), std::string::npos);
  struct Case {
    const char *args, *needle;
  } cases[] = {
      {"--data fashion-mnist --out x.bnn", "--arch is required"},
      {"--arch fcnn --out x.bnn", "--data is required"},
      {"--arch fcnn --data fashion-mnist", "--out is required"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --lr 0", "--lr"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --lr abc", "--lr"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --batch 0", "--batch"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --epochs -1", "--epochs"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --flip-p 0.9", "--flip-p"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --flip-grad maybe", "--flip-grad"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --loss l2", "--loss"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --gamma 2", "--gamma"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --threads 0", "--threads"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --eval-ber 0.7", "--eval-ber"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --bogus 1", "unknown option '--bogus'"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --lr", "option '--lr' needs a value"},
  };
  for (const auto &c : cases) {
    r = run(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  }
}

TEST(TrainCli, BadDataPathsAndArchitecturesAreClearErrors) {
  Result r = run("--arch fcnn --data /nonexistent/dir --out " + dir() + "/x.bnn --quiet");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/nonexistent/dir"), std::string::npos) << r.err;
  // A directory with a truncated IDX file.
  const std::string bad = dir() + "/baddata";
  mkdir(bad.c_str(), 0755);
  {
    std::ofstream f(bad + "/train-images-idx3-ubyte", std::ios::binary);
    f << "\x00\x00\x08\x03garbage";
  }
  r = run("--arch fcnn --data " + bad + " --out " + dir() + "/x.bnn --quiet");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("train-images-idx3-ubyte"), std::string::npos) << r.err;
  struct stat st;
  EXPECT_NE(stat((dir() + "/x.bnn").c_str(), &st), 0) << "nothing half-written";
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  r = run("--arch 100-10 --data fashion-mnist --train-limit 10 --test-limit 10 --out " + dir() +
          "/x.bnn --quiet");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("input width 100"), std::string::npos) << r.err;
  r = run("--arch 784-64-7 --data fashion-mnist --train-limit 10 --test-limit 10 --out " + dir() +
          "/x.bnn --quiet");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("10 classes"), std::string::npos) << r.err;
  r =
      run("--arch fcnn --data fashion-mnist --train-limit 10 --test-limit 10 --flip-layers 7 "
          "--out " +
          dir() + "/x.bnn --quiet");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--flip-layers"), std::string::npos) << r.err;
}

TEST(TrainCli, TrainsExportsLogsAndResumesToTheSameFiles) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string a = dir() + "/a.bnn", b = dir() + "/b.bnn";
  Result r = run(kSmall + "--epochs 3 --flip-p 0.01 --eval-ber 0.01,0.05 --seed 4 --out " + a);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos) << r.out;
  const std::string log = slurp(a + ".log.jsonl");
  EXPECT_NE(log.find("\"epoch\":3"), std::string::npos) << log;
  EXPECT_NE(log.find("\"ber_accuracy\":{\"0.01\":"), std::string::npos) << log;
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_load(&m, a.c_str()), BNN_OK) << bnn_errmsg();
  const std::string prov = bnn_model_provenance(m);
  EXPECT_NE(prov.find("\"flip_p\":0.01"), std::string::npos) << prov;
  EXPECT_NE(prov.find("\"seed\":4"), std::string::npos) << prov;
  EXPECT_NE(prov.find("\"clean_test_accuracy\":"), std::string::npos) << prov;
  bnn_model_free(m);

  // Interrupted after 2 epochs, then resumed to 3.
  r = run(kSmall + "--epochs 2 --flip-p 0.01 --eval-ber 0.01,0.05 --seed 4 --out " + b);
  ASSERT_EQ(r.code, 0) << r.err;
  // Different options are refused on resume.
  r = run(kSmall + "--epochs 3 --flip-p 0.02 --seed 4 --resume --out " + b);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--flip-p differs"), std::string::npos) << r.err;
  r = run(kSmall + "--epochs 3 --flip-p 0.01 --eval-ber 0.01,0.05 --seed 4 --resume --out " + b);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(a + ".ckpt"), slurp(b + ".ckpt")) << "checkpoints differ";
  EXPECT_EQ(slurp(a), slurp(b)) << "model files differ";
  EXPECT_EQ(slurp(a + ".log.jsonl").size() > 0, true);
}

TEST(TrainCli, MarginRegularizerOptions) {
  Result r = run("--help");
  EXPECT_NE(r.out.find("--reg-margin"), std::string::npos);
  EXPECT_NE(r.out.find("--reg-b"), std::string::npos);
  struct Case {
    const char *args, *needle;
  } cases[] = {
      {"--arch fcnn --data fashion-mnist --out x.bnn --reg-margin -1", "--reg-margin"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --reg-margin x", "--reg-margin"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --reg-b 0", "--reg-b: must be > 0"},
      {"--arch fcnn --data fashion-mnist --out x.bnn --reg-b -2", "--reg-b"},
  };
  for (const auto &c : cases) {
    r = run(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  }
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  // One hidden layer: nothing the regularizer could act on.
  r = run(kSmall + "--epochs 1 --reg-margin 0.1 --out " + dir() + "/r0.bnn");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no hidden layer after the first"), std::string::npos) << r.err;
  const std::string small2 =
      "--arch 784-32-32-10 --data fashion-mnist --train-limit 300 --test-limit 100 --batch 100 "
      "--quiet --threads 2 --seed 3 ";
  const std::string a = dir() + "/reg.bnn";
  r = run(small2 + "--epochs 1 --reg-margin 0.5 --reg-b 2 --out " + a);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string log = slurp(a + ".log.jsonl");
  EXPECT_NE(log.find("\"reg_margin\":0.5,\"reg_b\":2,\"reg_penalty\":"), std::string::npos) << log;
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_load(&m, a.c_str()), BNN_OK) << bnn_errmsg();
  const std::string prov = bnn_model_provenance(m);
  EXPECT_NE(prov.find("\"reg_margin\":0.5,\"reg_b\":2.0"), std::string::npos) << prov;
  bnn_model_free(m);
  r = run(small2 + "--epochs 2 --reg-margin 0.25 --reg-b 2 --resume --out " + a);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--reg-margin differs"), std::string::npos) << r.err;
}

// The provenance JSON a model file carries is built with its strings quoted by jansson: a data
// directory and an --out path with a quote, a backslash and a control character still give JSON
// that parses, with the path's exact bytes in "data"; the epoch log lines parse too.
TEST(TrainCli, ProvenanceStaysValidJsonWithQuotesInPaths) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const char *root = std::getenv("RRAMSIM_DATA_DIR");
  const std::string src =
      std::string(root && *root ? root : "/usr/share/datasets") + "/fashion-mnist/";
  const std::string weird = "da\"ta\\dir\ttab";
  const std::string data = dir() + "/" + weird;
  ASSERT_EQ(mkdir(data.c_str(), 0755) == 0 || errno == EEXIST, true);
  for (const char *f : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
    ASSERT_EQ(symlink((src + f).c_str(), (data + "/" + f).c_str()) == 0 || errno == EEXIST, true)
        << f;
  const std::string out = dir() + "/o\"ut.bnn";
  // Single quotes for the shell: the names hold a double quote, a backslash and a tab.
  Result r =
      run("--arch 784-32-10 --train-limit 300 --test-limit 100 --batch 100 --quiet "
          "--threads 1 --epochs 1 --data '" +
          data + "' --out '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_load(&m, out.c_str()), BNN_OK) << bnn_errmsg();
  const std::string prov = bnn_model_provenance(m);
  bnn_model_free(m);
  json_error_t err;
  json_t *j = json_loads(prov.c_str(), 0, &err);
  ASSERT_NE(j, nullptr) << err.text << "\n" << prov;
  const char *d = json_string_value(json_object_get(j, "data"));
  ASSERT_NE(d, nullptr) << prov;
  EXPECT_EQ(std::string(d), data);
  EXPECT_STREQ(json_string_value(json_object_get(j, "tool")), "rramsim train");
  EXPECT_EQ(json_integer_value(json_object_get(j, "train_images")), 300);
  EXPECT_TRUE(json_is_real(json_object_get(j, "clean_test_accuracy")));
  json_decref(j);
  std::istringstream log(slurp(out + ".log.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(log, line); ++lines) {
    json_t *l = json_loads(line.c_str(), 0, &err);
    EXPECT_NE(l, nullptr) << err.text << "\n" << line;
    json_decref(l);
  }
  EXPECT_EQ(lines, 1);
}
