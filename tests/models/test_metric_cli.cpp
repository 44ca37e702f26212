// test_metric_cli.cpp — `rramsim metric`, `rramsim predict` and `rramsim eval --ber-sweep` through
// the built binary: outputs, the atomic CSV, and one clear error line for each kind of bad input.
#include <gtest/gtest.h>

#include "cli_util.hpp"
#include "fixtures.hpp"
#include <jansson.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

using cli_util::Result;
using cli_util::slurp;

std::string dir() {
  static std::string d = cli_util::make_dir("metric_cli_");
  return d;
}

Result run(const std::string &args) {
  return cli_util::run_in(dir(), args);
}

bool have_fmnist() {
  return cli_util::have_fmnist("t10k-images-idx3-ubyte.gz");
}

// A random 784-32-10 model (and, for the error cases, a 10x10-input one and a conv one).
std::string model(const std::string &arch) {
  std::string p = dir() + "/m_" + arch + ".bnn";
  for (auto &c : p)
    if (c == '*') c = 'x';
  Result r = run("model random --arch " + arch + " --seed 3 --out " + p);
  EXPECT_EQ(r.code, 0) << r.err;
  return p;
}

// The command's stdout as one JSON object (nullptr, with a test failure, if it is not one).
json_t *parse_json(const Result &r) {
  json_error_t err;
  json_t *j = json_loads(r.out.c_str(), 0, &err);
  if (!j) ADD_FAILURE() << err.text << "\n" << r.out;
  return j;
}

void put_u32be(std::ofstream &f, uint32_t v) {
  const char b[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
  f.write(b, 4);
}

int lines(const std::string &s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST(MetricCli, MetricPredictAndSweep) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string m = model("784-32-10"), data = " --data fashion-mnist --limit 300 ";
  Result r = run("metric --model " + m + data);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("aggregate"), std::string::npos);
  r = run("metric --json --ber 0.02 --model " + m + data);
  ASSERT_EQ(r.code, 0) << r.err;
  {  // one JSON object (jansson's): two layers, the BER as given, fractions in [0, 1]
    json_t *j = parse_json(r);
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(json_number_value(json_object_get(j, "ber")), 0.02);
    EXPECT_EQ(json_integer_value(json_object_get(j, "images")), 300);
    json_t *layers = json_object_get(j, "layers");
    ASSERT_EQ(json_array_size(layers), 2u) << r.out;
    const double le1 = json_number_value(
        json_object_get(json_object_get(json_array_get(layers, 0), "frac_m_le"), "1"));
    EXPECT_TRUE(le1 >= 0.0 && le1 <= 1.0) << r.out;
    EXPECT_TRUE(json_is_true(json_object_get(json_array_get(layers, 1), "output"))) << r.out;
    json_decref(j);
  }
  r = run("predict --ber 0:0.1:0.05 --json --model " + m + data);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"ber\": 0.1"), std::string::npos);
  // Both mean models: equal on the clean net, different once flips reach the output layer.
  const std::string pts = r.out.substr(r.out.find("\"points\""));
  r = run("predict --ber 0:0.1:0.05 --json --mean layer --model " + m + data);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string pts_layer = r.out.substr(r.out.find("\"points\""));
  EXPECT_EQ(pts.substr(0, pts.find("},")), pts_layer.substr(0, pts_layer.find("},")));
  EXPECT_NE(pts, pts_layer);
  r = run("predict --ber 0:0.1:0.05 --json --mean stratified --model " + m + data);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(r.out.find("\"points\"")), pts);
  const std::string csv = dir() + "/sweep.csv";
  r = run("eval --quiet --ber-sweep 0,0.05,0.1 --reps 2 --csv " + csv + " --model " + m + data);
  ASSERT_EQ(r.code, 0) << r.err;
  std::string c = slurp(csv);
  EXPECT_EQ(lines(c), 4);
  EXPECT_EQ(c.rfind("ber,reps,seed,mean,std,min,max\n", 0), 0u);
  r = run("eval --quiet --json --ber-sweep 0,0.05 --reps 2 --model " + m + data);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"sweep\""), std::string::npos);
}

TEST(MetricCli, BadInput) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string m = model("784-32-10"), small = model("100-16-10"), conv = model("vgg3");
  const std::string data = " --data fashion-mnist --limit 50 ";
  struct Case {
    std::string args, needle;
  } cases[] = {
      {"predict --model " + m + data + "--ber 0:0.6:0.1", "--ber"},
      {"predict --model " + m + data + "--ber -0.1", "--ber"},
      {"predict --model " + m + data, "--ber RANGE is required"},
      {"metric --model " + m + data + "--ber 0.7", "--ber"},
      {"eval --model " + m + data + "--ber-sweep 0.2:0.6:0.1", "--ber-sweep"},
      {"eval --model " + m + data + "--ber-sweep 0.2:0.1:0.1", "--ber-sweep"},
      {"eval --model " + m + data + "--ber-sweep 0.1 --ber-write 0.1", "cannot be combined"},
      {"eval --model " + m + data + "--csv x.csv", "--csv needs --ber-sweep"},
      {"metric --model " + small + data, "model expects 10x10x1 images"},
      {"predict --model " + small + data + "--ber 0.01", "model expects 10x10x1 images"},
      {"eval --model " + small + data + "--ber-sweep 0.01", "model expects 10x10x1 images"},
      // empty or malformed sweeps, for both the prediction and the Monte-Carlo sweep
      {"predict --model " + m + data + "--ber 0:0.1:0", "--ber"},
      {"predict --model " + m + data + "--ber 0.1:0:0.01", "--ber"},
      {"predict --model " + m + data + "--ber 0:0.1:-0.01", "--ber"},
      {"predict --model " + m + data + "--ber 0:0.1", "--ber"},
      {"predict --model " + m + data + "--ber 0,,0.1", "--ber"},
      {"predict --model " + m + data + "--ber ''", "--ber"},
      {"predict --model " + m + data + "--ber nan", "--ber"},
      {"predict --model " + m + data + "--ber 0.01 --threads 0", "--threads"},
      {"eval --model " + m + data + "--ber-sweep 0:0.1:0", "--ber-sweep"},
      {"eval --model " + m + data + "--ber-sweep 0.1:0:0.01", "--ber-sweep"},
      {"eval --model " + m + data + "--ber-sweep 0:0.1:0.01:3", "--ber-sweep"},
      {"eval --model " + m + data + "--ber-sweep ''", "--ber-sweep"},
      {"eval --model " + m + data + "--ber-sweep 0.1 --reps 0", "--reps"},
      {"metric --model " + m + data + "--ber -0.01", "--ber"},
      {"metric --model " + m + data + "--ber abc", "--ber"},
      {"metric --model " + dir() + "/missing.bnn" + data, "missing.bnn"},
  };
  for (const auto &c : cases) {
    Result r = run(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1) << c.args << "\n" << r.err;
  }
  // conv/pool models are supported by metric and predict
  Result ok = run("metric --model " + conv + data);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("conv"), std::string::npos);
  ok = run("predict --model " + conv + data + "--ber 0,0.01 --threads 2");
  EXPECT_EQ(ok.code, 0) << ok.err;
  // a CSV path that cannot be written: error, and no stray temp file
  Result r = run("eval --quiet --ber-sweep 0 --csv " + dir() + "/nodir/x.csv --model " + m + data);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("nodir/x.csv"), std::string::npos);
}

// The hand-worked case of docs/metrics.md through the CLI: every layer's normalised margin, the
// output's median and the every-layer mean, as printed in the table and in --json.
TEST(MetricCli, PrintsTheNormalisedMarginsWorkedByHand) {
  const std::string d = dir() + "/hand";
  ASSERT_EQ(::mkdir(d.c_str(), 0755) == 0 || errno == EEXIST, true);
  {  // the three 1×2 images as IDX files (labels all 0)
    std::ofstream im(d + "/t10k-images-idx3-ubyte", std::ios::binary);
    for (uint32_t v : {0x803u, 3u, 1u, 2u}) put_u32be(im, v);
    im.write(reinterpret_cast<const char *>(bettest::kHandPixels), 6);
    std::ofstream lb(d + "/t10k-labels-idx1-ubyte", std::ios::binary);
    for (uint32_t v : {0x801u, 3u}) put_u32be(lb, v);
    lb.write("\0\0\0", 3);
  }
  bnn_model *m = bettest::hand_margin_model();
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(bnn_model_save(m, (d + "/hand.bnn").c_str()), BNN_OK) << bnn_errmsg();
  bnn_model_free(m);
  // By hand (docs/metrics.md): layer 0 (29.5/100 + 9.5/100 + 155.5/510 + 255.5/510)/4, layer 1
  // 11/(2·√2)/6, output mean 1/3 and median 0.5, every hidden layer (4·l0 + 6·l1)/10.
  const double l0 = (0.295 + 0.095 + 155.5 / 510 + 255.5 / 510) / 4;
  const double l1 = 11.0 / (2 * std::sqrt(2.0)) / 6;
  const double all = (4 * l0 + 6 * l1) / 10;
  EXPECT_NEAR(l0, 0.298971, 5e-7);
  EXPECT_NEAR(l1, 0.648181, 5e-7);
  EXPECT_NEAR(all, 0.508497, 5e-7);
  const std::string args = "metric --model " + d + "/hand.bnn --data " + d;
  Result r = run(args + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  json_t *j = parse_json(r);
  ASSERT_NE(j, nullptr);
  EXPECT_DOUBLE_EQ(json_number_value(json_object_get(j, "all_normalized_margin_mean")), 0.508497);
  EXPECT_DOUBLE_EQ(json_number_value(json_object_get(j, "output_normalized_margin_median")), 0.5);
  json_t *layers = json_object_get(j, "layers");
  ASSERT_EQ(json_array_size(layers), 3u) << r.out;
  const double want[3] = {0.298971, 0.648181, 0.333333};
  for (size_t l = 0; l < 3; ++l) {
    json_t *L = json_array_get(layers, l);
    EXPECT_DOUBLE_EQ(json_number_value(json_object_get(L, "normalized_margin_mean")), want[l])
        << "layer " << l << "\n"
        << r.out;
    // the median over images is the output layer's only
    EXPECT_EQ(json_object_get(L, "normalized_margin_median") != nullptr, l == 2) << r.out;
  }
  EXPECT_DOUBLE_EQ(
      json_number_value(json_object_get(json_array_get(layers, 2), "normalized_margin_median")),
      0.5);
  json_decref(j);
  r = run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("normalised margin: every hidden layer mean 0.5085; output median 0.5000\n"),
            std::string::npos)
      << r.out;
  for (const char *row : {"   0.2990  ", "   0.6482  ", "   0.3333  "})
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
}
