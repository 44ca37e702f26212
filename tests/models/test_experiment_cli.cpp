// test_experiment_cli.cpp — `rramsim experiment paper`: option errors, a tiny end-to-end run, the
// cache (a second run trains nothing), --report-only, resuming a model's training from its
// checkpoint.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "bet/bet.h"

#include "cli_util.hpp"

using cli_util::have_fmnist;
using cli_util::make_dir;
using cli_util::run_in;
using cli_util::slurp;

namespace {

bool exists(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

// Small enough for the default and sanitizer suites: a few hundred images, one epoch, one rep.
const std::string kTiny =
    "experiment paper --quick --train-limit 300 --vgg-train-limit 256 --test-limit 200 "
    "--metric-limit 100 "
    "--reps 1 --epochs 1 --vgg-epochs 1 --lambdas 0.5 --threads 2 --quiet";

// The cache stem (path without extension) of the plan's model `id` ("fcnn-p0" →
// DIR/fcnn-p0-<hash>).
std::string model_stem(const std::string &models_dir, const std::string &id) {
  std::string stem;
  if (DIR *dp = opendir(models_dir.c_str())) {
    const std::string prefix = id + "-", ext = ".meta";
    while (dirent *de = readdir(dp)) {
      const std::string n = de->d_name;
      if (n.size() == prefix.size() + 16 + ext.size() && n.rfind(prefix, 0) == 0 &&
          n.compare(n.size() - ext.size(), ext.size(), ext) == 0)
        stem = models_dir + "/" + n.substr(0, n.size() - ext.size());
    }
    closedir(dp);
  }
  return stem;
}

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  for (size_t p = 0; p < text.size();) {
    size_t nl = text.find('\n', p);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(p, nl - p));
    p = nl + 1;
  }
  return out;
}

}  // namespace

TEST(ExperimentCli, BadOptions) {
  const std::string d = make_dir("xp_bad");
  struct Case {
    const char *args, *msg;
  } cases[] = {
      {"experiment", "which experiment"},
      {"experiment nope", "unknown experiment 'nope'"},
      {"experiment paper --bogus 1", "unknown option '--bogus'"},
      {"experiment paper --epochs", "needs a value"},
      {"experiment paper --epochs 0", "--epochs"},
      {"experiment paper --reps x", "--reps"},
      {"experiment paper --lambdas 0.1:1:0.1", "comma list"},
      {"experiment paper --lambdas -1", "--lambdas"},
      {"experiment paper --vgg-flip-grad up", "sign or straight"},
      {"experiment paper --bn-stats batch",
       "--bn-stats: expected running or train-set, got 'batch'"},
      {"experiment paper --report-only --force", "contradict"},
      {"experiment paper --out-dir ''", "--out-dir"},
      {"experiment paper --report /", "needs a file name"},
  };
  for (const Case &c : cases) {
    const auto r = run_in(d, c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_NE(r.err.find(c.msg), std::string::npos) << c.args << ": " << r.err;
  }
  const auto h = run_in(d, "experiment --help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--quick"), std::string::npos);
}

TEST(ExperimentCli, BadPathsAndData) {
  const std::string d = make_dir("xp_paths");
  auto r = run_in(d, "experiment paper --quick --out-dir /proc/rramsim-no/x --quiet");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--out-dir /proc/rramsim-no/x"), std::string::npos) << r.err;
  r = run_in(d, "experiment paper --quick --data " + d + "/no-such-dir --out-dir " + d +
                    "/o --report " + d + "/o/r.md --quiet");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--data " + d + "/no-such-dir"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(d + "/o/r.md"));  // nothing written on a data error
  r = run_in(d, "experiment paper --quick --notes " + d + "/no-notes.md");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--notes " + d + "/no-notes.md"), std::string::npos) << r.err;
}

// Issue 14: --out-dir and --report are checked before anything is created or computed. Each bad
// path is one error line naming the option, and nothing is left in the scratch directory (before,
// a directory or a device as --report was found only when the report was written, after all the
// training; a name without .md made its own plot directory at the report's path; a FIFO as the
// cache's runs.tsv blocked).
TEST(ExperimentCli, OutputPathsAreCheckedBeforeAnyWork) {
  const std::string d = make_dir("xp_outs"), w = d + "/w";
  mkdir(w.c_str(), 0755);
  const std::string dir = w + "/dir", file = w + "/file", fifo = w + "/fifo", notes = w + "/n.md";
  mkdir(dir.c_str(), 0755);
  mkdir((w + "/fifo_cache").c_str(), 0755);
  ASSERT_EQ(mkfifo((w + "/fifo_cache/runs.tsv").c_str(), 0644), 0);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  std::ofstream(file) << "x\n";
  std::ofstream(notes) << "why\n";
  auto listing = [&] {
    std::string l;
    if (DIR *dp = opendir(w.c_str())) {
      while (dirent *de = readdir(dp)) l += std::string(de->d_name) + "\n";
      closedir(dp);
    }
    return l;
  };
  const std::string before = listing();
  struct Case {
    std::string args, msg;
    int code;
  } cases[] = {
      {"--out-dir " + file, "--out-dir " + file + ": is a regular file, not a directory", 1},
      {"--out-dir " + fifo, "--out-dir " + fifo + ": is a FIFO (named pipe), not a directory", 1},
      {"--out-dir " + file + "/sub",
       "--out-dir " + file + "/sub: " + file + ": is a regular file, not a directory", 1},
      {"--out-dir " + w + "/c --report " + dir,
       "--report " + dir + ": is a directory, not a regular file", 1},
      {"--out-dir " + w + "/c --report " + fifo,
       "--report " + fifo + ": is a FIFO (named pipe), not a regular file", 1},
      {"--out-dir " + w + "/c --report /dev/null",
       "--report /dev/null: is a character device, not a regular file", 1},
      {"--out-dir " + w + "/c --report " + file + "/r.md",
       "--report " + file + "/r.md: " + file + ": is a regular file, not a directory", 1},
      {"--out-dir " + w + "/c --report " + w + "/c/summary",
       "--report " + w + "/c/summary: its plots would go to the directory " + w +
           "/c/summary/, the report's own name",
       2},
      {"--out-dir " + w + "/c.md --report " + w + "/c.md",
       "--report " + w + "/c.md: is the cache directory", 2},
      {"--out-dir " + w + "/c --report " + notes + " --notes " + notes,
       "--report " + notes + ": is also an input (--notes " + notes + "); refusing to overwrite it",
       1},
      {"--out-dir " + w + "/fifo_cache --report " + w + "/r.md",
       "--out-dir " + w + "/fifo_cache: " + w +
           "/fifo_cache/runs.tsv: is a FIFO (named pipe), not a regular file",
       1},
      // No file can be created in /proc, for root too.
      {"--out-dir /proc/rramsim-no/x --report " + w + "/r.md",
       "--out-dir /proc/rramsim-no/x: cannot create /proc/rramsim-no: ", 1},
      {"--out-dir " + w + "/c --report /proc/self/r.md",
       "--report /proc/self/r.md: cannot create files in /proc/self: ", 1},
  };
  for (const Case &c : cases) {
    const auto r = run_in(d, "experiment paper --quick --quiet " + c.args);
    EXPECT_EQ(r.code, c.code) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find("rramsim experiment: " + c.msg), std::string::npos)
        << c.args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(listing(), before) << c.args << ": created files";
    EXPECT_EQ(slurp(w + "/file"), "x\n");
    EXPECT_EQ(slurp(notes), "why\n");
  }
  if (geteuid() != 0) {  // (root may write anywhere: /proc above stands for it)
    const std::string ro = w + "/ro";
    mkdir(ro.c_str(), 0555);
    const auto r = run_in(d, "experiment paper --quick --quiet --out-dir " + ro + "/c");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--out-dir " + ro + "/c: cannot create " + ro + "/c: Permission denied"),
              std::string::npos)
        << r.err;
  }
}

TEST(ExperimentCli, TinyRunCachesAndReports) {
  if (!have_fmnist("t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string d = make_dir("xp_tiny"), out = d + "/cache";
  // --report-only on an empty cache: a report that lists everything as missing, nothing trained.
  auto r = run_in(d, kTiny + " --out-dir " + out + " --report " + d + "/empty.md --report-only");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string rep = slurp(d + "/empty.md");
  EXPECT_NE(rep.find("**Incomplete**"), std::string::npos);
  EXPECT_NE(rep.find("fcnn-p0: not trained"), std::string::npos) << rep;
  EXPECT_EQ(r.err.find("training"), std::string::npos) << r.err;

  // The run itself, with the quick-mode default report path (OUT-DIR/paper.md).
  {
    std::ofstream n(d + "/notes.md");
    n << "Why these settings: a test.\n";
  }
  r = run_in(d, kTiny + " --out-dir " + out + " --notes " + d + "/notes.md");
  ASSERT_EQ(r.code, 0) << r.err;
  rep = slurp(out + "/paper.md");
  EXPECT_NE(rep.find("Why these settings: a test."), std::string::npos);
  for (const char *s :
       {"## Summary", "**C1**", "**C2**", "**C3**", "**C4**",
        "## Analytic prediction vs Monte-Carlo", "Hirtzlin", "fcnn-p0.033-sign",
        "fcnn-p0.1-straight", "fcnn-mhl", "fcnn-reg0.5", "vgg3-p0.033-sign",
        "Wall time of this invocation", "rramsim train --arch 784-128-128-10", "Quick mode"})
    EXPECT_NE(rep.find(s), std::string::npos) << s;
  EXPECT_EQ(rep.find("**Incomplete**"), std::string::npos);
  EXPECT_NE(rep.find("evaluation statistics `running`"), std::string::npos);
  // --bn-stats train-set makes other models (other cache keys): the cache holds none of them.
  r = run_in(d, kTiny + " --out-dir " + out + " --report " + d +
                    "/ts.md --report-only --bn-stats train-set");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string ts = slurp(d + "/ts.md");
  EXPECT_NE(ts.find("fcnn-p0: not trained"), std::string::npos) << ts;
  EXPECT_NE(ts.find("evaluation statistics `train-set`"), std::string::npos);
  EXPECT_NE(ts.find("--bn-stats train-set --train-limit"), std::string::npos);
  EXPECT_TRUE(exists(out + "/paper/accuracy_fcnn_sign.svg"));
  EXPECT_TRUE(exists(out + "/paper/c4_tradeoff.svg"));
  EXPECT_NE(rep.find("(paper/accuracy_fcnn_sign.svg)"), std::string::npos);  // relative link

  // Second run: everything comes from the cache.
  r = run_in(d, kTiny + " --out-dir " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find(": training"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fcnn-p0: cached model"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(out + "/paper.md").size() > 1000, true);

  // A changed parameter is a different cache entry: only that model trains.
  r = run_in(d, kTiny + " --out-dir " + out + " --report " + d + "/l2.md --lambdas 0.5,2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("fcnn-reg2: training"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fcnn-reg0.5: cached model"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("fcnn-p0: training"), std::string::npos) << r.err;

  // Resuming: a kill between an epoch's log line and its checkpoint (the line is written first)
  // leaves a log line for an epoch the checkpoint does not hold. Rebuild that state for fcnn-p0 of
  // this 1-epoch run: its checkpoint before epoch 1 (a fresh net with the model's seed and training
  // options), its log holding epoch 1's line, no model file. The rerun must resume from the
  // checkpoint, train epoch 1 again and log it once, giving the uninterrupted run's model.
  const std::string stem = model_stem(out + "/models", "fcnn-p0");
  ASSERT_FALSE(stem.empty()) << "no fcnn-p0 model in " << out << "/models";
  const std::string model = slurp(stem + ".bnn"), log = slurp(stem + ".log.jsonl");
  ASSERT_EQ(lines_of(log).size(), 1u) << log;
  ASSERT_EQ(log.rfind("{\"epoch\":1,", 0), 0u) << log;
  ASSERT_EQ(std::remove((stem + ".meta").c_str()), 0);
  ASSERT_EQ(std::remove((stem + ".bnn").c_str()), 0);
  {
    bet_train_params p = bet_train_default_params();
    p.epochs = 1, p.seed = 1, p.threads = 2;  // as kTiny trains fcnn-p0
    bet_arch arch;
    ASSERT_EQ(bet_arch_parse("784-128-128-10", 10, &arch), BNN_OK) << bnn_errmsg();
    bet_net *net = nullptr;
    ASSERT_EQ(bet_net_create(&net, &arch, 1, 28, 28, 10, p.seed), BNN_OK) << bnn_errmsg();
    EXPECT_EQ(bet_checkpoint_save(net, &p, (stem + ".ckpt").c_str()), BNN_OK) << bnn_errmsg();
    bet_net_free(net);
  }
  r = run_in(d, kTiny + " --out-dir " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("fcnn-p0: resuming from " + stem + ".ckpt after epoch 0"), std::string::npos)
      << r.err;
  const std::vector<std::string> resumed = lines_of(slurp(stem + ".log.jsonl"));
  ASSERT_EQ(resumed.size(), 1u) << "epoch 1 logged twice:\n" << slurp(stem + ".log.jsonl");
  EXPECT_EQ(resumed[0].rfind("{\"epoch\":1,", 0), 0u) << resumed[0];
  EXPECT_EQ(slurp(stem + ".bnn"), model)
      << "the resumed model differs from the uninterrupted run's";
  EXPECT_NE(slurp(stem + ".meta").find("resumed 1"), std::string::npos);
  EXPECT_FALSE(exists(stem + ".ckpt"));  // removed once the model file is in place
}

// `rramsim experiment study`: the job set. A 2-shard run (shards in reverse order) and a 1-shard
// run write the same result files (timings aside) and the same report; a finished job is never
// redone; a deleted result file is redone identically (resume after a kill); a job without result
// file is reported as missing.
namespace {
std::string without_seconds(const std::string &s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find('\n', i);
    if (j == std::string::npos) j = s.size();
    const std::string line = s.substr(i, j - i);
    if (line.find("seconds") == std::string::npos) out += line + "\n";
    i = j + 1;
  }
  return out;
}
std::string replace_all(std::string s, const std::string &a, const std::string &b) {
  for (size_t p = s.find(a); p != std::string::npos; p = s.find(a, p + b.size()))
    s.replace(p, a.size(), b);
  return s;
}
}  // namespace

TEST(ExperimentStudy, ShardsEqualOneRunResumeAndReport) {
  if (!have_fmnist("t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string d = make_dir("xp_study"), a = d + "/one", b = d + "/two";
  {
    std::ofstream f(d + "/design.json");
    f << R"({"name": "t", "data": "fashion-mnist", "train_limit": 300, "test_limit": 100,
 "metric_limit": 50, "metric_ber": 0.05, "epochs": 1, "batch": 100, "lr": 0.005, "step_size": 1,
 "gamma": 0.5, "reps": 2, "bers": [0, 0.0001, 0.04, 0.1],  "seeds": [1, 2],
 "configs": [{"id": "p0", "arch": "784-16-10"},
             {"id": "p0.1-sign", "arch": "784-16-10", "flip_p": 0.1},
             {"id": "pm1", "arch": "784-16-10", "encoding": "pm1", "seeds": [1]}]})";
  }
  const std::string base = "experiment study --quiet --design " + d + "/design.json --results ";
  auto r = run_in(d, base + a + "/r --shard 0/1 --report " + a + "/paper.md");
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_in(d, base + b + "/r --shard 1/2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(exists(b + "/r/p0/seed-1.json"));  // job 0 is shard 0's
  EXPECT_TRUE(exists(b + "/r/p0/seed-2.json"));
  r = run_in(d, base + b + "/r --shard 0/2");
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_in(d, base + b + "/r --report-only --report " + b + "/paper.md");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char *f : {"p0/seed-1.json", "p0/seed-2.json", "p0.1-sign/seed-1.json",
                        "p0.1-sign/seed-2.json", "pm1/seed-1.json"}) {
    const std::string x = slurp(a + "/r/" + f), y = slurp(b + "/r/" + f);
    ASSERT_FALSE(x.empty()) << f;
    EXPECT_EQ(without_seconds(x), without_seconds(y)) << f;
  }
  const std::string ra = slurp(a + "/paper.md"), rb = slurp(b + "/paper.md");
  EXPECT_EQ(replace_all(ra, a + "/", b + "/"), rb);
  EXPECT_NE(ra.find("**5 of 5 jobs**"), std::string::npos) << ra;
  EXPECT_NE(ra.find("| p0 | 2 |"), std::string::npos) << ra;
  // The [−1, 1] job ran and says so; a file without "encoding" (written before the factor
  // existed) still counts for a [0, 1] configuration and never for a [−1, 1] one.
  EXPECT_NE(slurp(a + "/r/pm1/seed-1.json").find("\"encoding\": \"pm1\""), std::string::npos);
  EXPECT_NE(slurp(a + "/r/p0/seed-1.json").find("\"encoding\": \"01\""), std::string::npos);
  // The build that ran the job (amendment 10), and the report's list of builds.
  EXPECT_NE(slurp(a + "/r/p0/seed-1.json").find("\"rramsim_version\": \"0."), std::string::npos);
  EXPECT_NE(ra.find("Builds that ran the jobs: `0."), std::string::npos) << ra;
  // ... with the offset's fault model (amendment 7); [0, 1] files have no such key.
  EXPECT_NE(slurp(a + "/r/pm1/seed-1.json").find("\"input_offset\": \"stored-weights\""),
            std::string::npos);
  EXPECT_EQ(slurp(a + "/r/p0/seed-1.json").find("input_offset"), std::string::npos);
  EXPECT_NE(ra.find("| pm1 | 784-16-10 | 0 | — | ce | 0 | — | [−1, 1] | 1 of 1 |"),
            std::string::npos)
      << ra;
  // GNU parallel over 3 shards (one host here; `parallel -S` spreads the same commands over
  // hosts sharing the results directory): the same report.
  if (std::system("parallel --version >/dev/null 2>&1") == 0) {
    const std::string c = d + "/three";
    const std::string cmd = "parallel --will-cite " + cli_util::kBin + " " + base + c +
                            "/r --shard {}/3 ::: 0 1 2 >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    r = run_in(d, base + c + "/r --report-only --report " + c + "/paper.md");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(replace_all(ra, a + "/", c + "/"), slurp(c + "/paper.md"));
  }
  // Resume: nothing left to run; a deleted file (a job killed before writing) is redone alone
  // and identically.
  r = run_in(d, "experiment study --design " + d + "/design.json --results " + b + "/r");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("0 of 5 jobs ran, 5 already done"), std::string::npos) << r.err;
  const std::string before = slurp(b + "/r/p0.1-sign/seed-2.json");
  std::remove((b + "/r/p0.1-sign/seed-2.json").c_str());
  r = run_in(d, "experiment study --design " + d + "/design.json --results " + b + "/r");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("1 of 5 jobs ran, 4 already done"), std::string::npos) << r.err;
  EXPECT_EQ(without_seconds(slurp(b + "/r/p0.1-sign/seed-2.json")), without_seconds(before));
  r = run_in(d, base + b + "/r --list --shard 1/2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1 p0 seed 2 done\n3 p0.1-sign seed 2 done\n");
  // Result files from before the encoding factor carry no "encoding": they stay valid for a
  // [0, 1] configuration. A [−1, 1] file without "input_offset" (the folded offset's fault model,
  // before amendment 7) is stale.
  for (const auto &fk : {std::make_pair("p0/seed-1.json", " \"encoding\": "),
                         std::make_pair("pm1/seed-1.json", " \"input_offset\": ")}) {
    const std::string path = b + "/r/" + fk.first;
    const char *f = fk.first;
    std::string s = slurp(path);
    const size_t at = s.find(fk.second);
    ASSERT_NE(at, std::string::npos) << f;
    s.erase(at, s.find('\n', at) + 1 - at);
    std::ofstream(path) << s;
  }
  r = run_in(d, base + b + "/r --report-only --report " + b + "/legacy.md");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string legacy = slurp(b + "/legacy.md");
  EXPECT_NE(legacy.find("**4 of 5 jobs**"), std::string::npos) << legacy;
  EXPECT_NE(legacy.find("pm1/seed-1.json`: does not match the design"), std::string::npos)
      << legacy;
  // Bad input: one line naming the file or option.
  r = run_in(d, base + b + "/r --shard 2/2");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--shard: expected i/N with 0 <= i < N, got '2/2'"), std::string::npos);
  {
    std::ofstream f(d + "/bad.json");
    f << R"({"bers": [0, 0.7], "seeds": [1], "configs": [{"id": "x"}]})";
  }
  r = run_in(d, "experiment study --design " + d + "/bad.json");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.json: \"bers\"[1]: expected a number in [0, 0.5]"), std::string::npos)
      << r.err;
}

// Amendment 7 of the study design: a comparison counts only when every seed it uses is present,
// and a claim is decided before all its jobs ran only when no missing job can change the verdict;
// otherwise "incomplete" says what the missing jobs need. Result files written by hand (the
// report reads nothing else), so each rule is checked on known numbers.
TEST(ExperimentStudy, VerdictsBeforeAllJobsRanOnlyWhenFinal) {
  const std::string d = make_dir("xp_study_early"), res = d + "/r";
  {
    std::ofstream f(d + "/design.json");
    f << R"({"name": "t", "bers": [0, 0.0001, 0.005, 0.04, 0.1], "seeds": [1, 2, 3],
 "configs": [{"id": "p0", "arch": "784-16-10"},
             {"id": "s01", "arch": "784-16-10", "flip_p": 0.01},
             {"id": "s033", "arch": "784-16-10", "flip_p": 0.033},
             {"id": "s05", "arch": "784-16-10", "flip_p": 0.05},
             {"id": "s1", "arch": "784-16-10", "flip_p": 0.1},
             {"id": "s2", "arch": "784-16-10", "flip_p": 0.2}]})";
  }
  // acc at every BER = level + a per-seed jitter (so intervals have width); 100 s per job.
  auto put = [&](const std::string &id, int seed, double level) {
    const double a = level + 0.001 * (seed - 2);
    std::string dir = res + "/" + id;
    ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
    std::ofstream f(dir + "/seed-" + std::to_string(seed) + ".json");
    f << "{\"study\": \"t\", \"config\": \"" << id << "\", \"seed\": " << seed
      << ", \"encoding\": \"01\", \"bers\": [0, 0.0001, 0.005, 0.04, 0.1], \"acc_mean\": [" << a
      << ", " << a << ", " << a << ", " << a << ", " << a
      << "], \"pred\": [0.8, 0.8, 0.8, 0.8, 0.8]"
      << ", \"curve\": [0.8], \"metrics\": {\"all_nm_mean\": 1, \"hidden_mn_mean\": 1, "
         "\"output_nm_median\": 1}, \"seconds\": 100}\n";
  };
  for (int s = 1; s <= 3; ++s) {
    put("p0", s, 0.80);
    put("s01", s, 0.78);  // 2 pp below p = 0 at every seed: established −
    put("s033", s, 0.78);
  }
  put("s1", 1, 0.70);  // established − on 2 of 3 seeds: shown, not counted
  put("s1", 2, 0.70);
  const std::string cmd = "experiment study --design " + d + "/design.json --results " + res +
                          " --report-only --report ";
  auto r = run_in(d, cmd + d + "/a.md");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string rep = slurp(d + "/a.md");
  // Two complete cells established −, s05 missing: C1 can still go either way.
  EXPECT_NE(rep.find("**Verdict (C1)**: inconclusive: incomplete (11 of 18 jobs). The 7 missing "
                     "jobs need ≈ 0.2 core-hours"),
            std::string::npos)
      << rep;
  EXPECT_NE(rep.find("established − (seeds missing: not counted yet)"), std::string::npos) << rep;
  // The p = 0 net loses nothing at 1e-4 and s033 loses nothing at 0.04: H1 is final already.
  EXPECT_NE(rep.find("**Verdict (H1)**: reproduces (decided before all jobs ran"),
            std::string::npos)
      << rep;
  EXPECT_NE(rep.find("| H1 | reproduces (decided before all jobs ran"), std::string::npos) << rep;
  // A third complete level established −: C1 reproduces whatever s1 and s2 will show.
  for (int s = 1; s <= 3; ++s) put("s05", s, 0.78);
  r = run_in(d, cmd + d + "/b.md");
  ASSERT_EQ(r.code, 0) << r.err;
  rep = slurp(d + "/b.md");
  EXPECT_NE(rep.find("**Verdict (C1)**: reproduces (decided before all jobs ran: no missing job "
                     "can change it)."),
            std::string::npos)
      << rep;
  EXPECT_NE(rep.find("| C1 | reproduces"), std::string::npos) << rep;
  // C3 needs every net: still incomplete, with the compute (4 jobs × 100 s).
  EXPECT_NE(rep.find("**Verdict (C3)**: inconclusive: incomplete (14 of 18 jobs). The 4 missing "
                     "jobs need ≈ 0.1 core-hours"),
            std::string::npos)
      << rep;
}
