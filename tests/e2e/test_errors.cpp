// test_errors.cpp — walks docs/errors.md: every catalogued error is produced from the CLI with a
// bad input, exits with the catalogued code, prints a line matching the catalogued pattern and
// creates no file. Fails when the catalogue and the cases here drift apart.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "e2e_util.hpp"

namespace {

using e2e::slurp;

struct Entry {
  std::string id;
  int exit_code;
  std::string pattern;  // message with <...> placeholders
};

// Rows of the catalogue tables: | `ID` | exit | `message` | cause | fix |
std::vector<Entry> parse_catalogue(const std::string &path) {
  std::vector<Entry> out;
  const std::regex row("^\\| `([A-Z0-9-]+)` \\| ([0-9]) \\| `([^`]*)` \\|.*");
  for (const std::string &l : e2e::lines(slurp(path))) {
    std::smatch m;
    if (std::regex_match(l, m, row)) out.push_back({m[1], std::stoi(m[2]), m[3]});
  }
  return out;
}

// The pattern as a regex: literal text, each <placeholder> any non-empty text.
std::regex pattern_regex(const std::string &p) {
  std::string re;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '<') {
      const size_t e = p.find('>', i);
      if (e != std::string::npos) {
        re += ".+?";
        i = e;
        continue;
      }
    }
    if (std::string("\\^$.|?*+()[]{}").find(p[i]) != std::string::npos) re += '\\';
    re += p[i];
  }
  return std::regex(re);
}

// One case per catalogue ID. In args, {D} is the fixture directory (bad files live there) and
// {S} the repository's configs/systems/small.json. needs_data: the case reads Fashion-MNIST.
struct Case {
  const char *id;
  const char *args;
  bool needs_data;
};

const Case kCases[] = {
    {"CLI-UNKNOWN-COMMAND", "frobnicate", false},
    {"CLI-UNKNOWN-OPTION", "eval --model {D}/m.bnn --data fashion-mnist --bogus 1", false},
    {"CLI-MISSING-VALUE", "eval --model {D}/m.bnn --data fashion-mnist --threads", false},
    {"CLI-BAD-INTEGER", "eval --model {D}/m.bnn --data fashion-mnist --reps 0", false},
    {"CLI-BAD-NUMBER", "eval --model {D}/m.bnn --data fashion-mnist --ber-write 0.7", false},
    {"CLI-BAD-RANGE", "eval --model {D}/m.bnn --data fashion-mnist --ber-sweep 0.1:0.05:0.01 --csv {D}/out.csv", false},
    {"CLI-RANGE-TOO-LONG", "eval --model {D}/m.bnn --data fashion-mnist --ber-sweep 0:0.5:0.0001", false},
    {"CLI-RANGE-OUTSIDE", "predict --model {D}/m.bnn --data fashion-mnist --ber 0.9", false},
    {"CLI-UNKNOWN-SUBCOMMAND", "model frob", false},
    {"MODEL-CANNOT-OPEN", "model info {D}/no-such.bnn", false},
    {"MODEL-BAD-MAGIC", "model info {D}/garbage.bnn", false},
    {"MODEL-TRUNCATED", "model info {D}/trunc.bnn", false},
    {"MODEL-CRC", "model info {D}/crc.bnn", false},
    {"MODEL-BAD-ARCH", "model random --arch 784-x-10 --seed 1 --out {D}/out.bnn", false},
    {"MODEL-INFO-ARGS", "model info {D}/m.bnn {D}/m.bnn", false},
    {"DATA-NOT-FOUND", "eval --model {D}/m.bnn --data {D}/emptydata", false},
    {"DATA-BAD-SPLIT", "eval --model {D}/m.bnn --data fashion-mnist --split valid", false},
    {"EVAL-DATA-REQUIRED", "eval --model {D}/m.bnn", false},
    {"EVAL-CSV-NEEDS-SWEEP", "eval --model {D}/m.bnn --data fashion-mnist --csv {D}/out.csv", false},
    {"EVAL-SWEEP-EXCLUSIVE", "eval --model {D}/m.bnn --data fashion-mnist --ber-sweep 0.1 --ber-read 0.1 --csv {D}/out.csv", false},
    {"EVAL-WRITE01-PAIR", "eval --model {D}/m.bnn --data fashion-mnist --ber-write01 0.1", false},
    {"EVAL-ERROR-LAYERS", "eval --model {D}/m.bnn --data fashion-mnist --error-layers 5", false},
    {"EVAL-KERNEL", "eval --model {D}/m.bnn --data fashion-mnist --kernel gpu", false},
    {"TRAIN-ARCH-REQUIRED", "train --data fashion-mnist --out {D}/out.bnn", false},
    {"TRAIN-LOSS", "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn --loss l2", false},
    {"TRAIN-FLIP-GRAD", "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn --flip-grad up", false},
    {"TRAIN-FLIP-LAYERS", "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn --flip-layers 9 "
                          "--train-limit 10 --test-limit 10", true},
    {"TRAIN-ARCH-SHAPE", "train --arch 785-16-10 --data fashion-mnist --out {D}/out.bnn "
                         "--train-limit 10 --test-limit 10", true},
    {"TRAIN-LOG-OPEN", "train --arch 784-16-10 --data fashion-mnist --out {D}/no-dir/out.bnn "
                       "--train-limit 10 --test-limit 10 --no-progress", true},
    {"TRAIN-RESUME-BAD-CHECKPOINT", "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn "
                                    "--train-limit 10 --test-limit 10 --no-progress "
                                    "--checkpoint {D}/garbage.bnn --resume", true},
    {"TRAIN-RESUME-MISMATCH", "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn "
                              "--train-limit 100 --test-limit 10 --batch 50 --seed 3 --no-progress "
                              "--checkpoint {D}/first.bnn.ckpt --resume --epochs 2 --flip-p 0.01", true},
    {"METRIC-MODEL-REQUIRED", "metric --data fashion-mnist", false},
    {"CONFIG-REQUIRED", "sim --requests 10 --stats {D}/out.json", false},
    {"CONFIG-CANNOT-OPEN", "sim --system {D}/no-such.json --stats {D}/out.json", false},
    {"CONFIG-JSON-SYNTAX", "sim --system {D}/badjson.json --stats {D}/out.json", false},
    {"CONFIG-UNKNOWN-KEY", "sim --system {D}/unknown_key.json --stats {D}/out.json", false},
    {"CONFIG-OUT-OF-RANGE", "sim --system {D}/range.json --stats {D}/out.json", false},
    {"CONFIG-MISSING-KEY", "device info {S}", false},
    {"CONFIG-OP-POINT", "sim --system {S} --op-point turbo --stats {D}/out.json", false},
    {"CONFIG-CAPACITY", "run --system {D}/tiny.json --model {D}/m.bnn --images 5 --quiet --out {D}/out", true},
    {"CONFIG-RRAM-LAYER", "run --system {S} --model {D}/m.bnn --rram-layers 7 --images 5 --quiet --out {D}/out", true},
    {"SIM-TRAFFIC", "sim --system {S} --traffic zigzag --stats {D}/out.json", false},
    {"RUN-RRAM-LAYERS", "run --system {S} --model {D}/m.bnn --rram-layers x --out {D}/out", false},
    {"DEVICE-CELL", "device fit {D}/badpts.csv --cell 3T", false},
    {"DEVICE-POINTS-OPEN", "device fit {D}/no-such.csv --cell 2T2R", false},
    {"DEVICE-POINTS-LINE", "device fit {D}/badpts.csv --cell 2T2R", false},
    {"TRACE-MALFORMED-STL", "trace convert {D}/bad.stl {D}/out.rrt", false},
    {"TRACE-CANNOT-OPEN", "replay --system {S} --trace {D}/no-such.stl --stats {D}/out.json", false},
    {"TRACE-NO-CLOCK", "replay --system {S} --trace {D}/bad.stl --stats {D}/out.json", false},
    {"TRACE-OUT-NAME", "trace convert {D}/bad.stl {D}/out.txt", false},
    {"REPLAY-TRACE-REQUIRED", "replay --system {S} --stats {D}/out.json", false},
    {"FAULTS-REQUIRED", "faults replay --model {D}/m.bnn --system {S}", false},
    {"FAULTS-HEADER", "faults replay --model {D}/m.bnn --faults {D}/bad_faults.csv --system {S} "
                      "--images 5 --predictions {D}/out.txt", true},
    {"FAULTS-CANNOT-OPEN", "faults replay --model {D}/m.bnn --faults {D}/no-such.csv --system {S} "
                           "--images 5 --predictions {D}/out.txt", true},
    {"SWEEP-OUT-REQUIRED", "sweep {D}/exp_mode.json", false},
    {"SWEEP-SHARD", "sweep {D}/exp_mode.json --out {D}/out --shard 3/2", false},
    {"SWEEP-JSON-SYNTAX", "sweep {D}/badjson.json --out {D}/out", false},
    {"SWEEP-UNKNOWN-KEY", "sweep {D}/exp_unknown.json --out {D}/out", false},
    {"SWEEP-MODE", "sweep {D}/exp_mode.json --out {D}/out", false},
    {"SWEEP-REQUIRED-KEY", "sweep {D}/exp_nosys.json --out {D}/out", false},
    {"SWEEP-SEEDS", "sweep {D}/exp_seeds.json --out {D}/out", false},
    {"SWEEP-MODEL-OPEN", "sweep {D}/exp_nomodel.json --out {D}/out", false},
    {"SWEEP-MERGE-EMPTY", "sweep --merge {D}/emptydata", false},
    {"SWEEP-BAD-ROW", "sweep --merge {D}/badrows", false},
    {"PLOT-NO-RESULTS", "plot {D}/emptydata", false},
};

std::string replace_all(std::string s, const std::string &from, const std::string &to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

void write(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

const std::string kSystem = RRAMSIM_SOURCE_DIR "/configs/systems/small.json";

bool have_data() {
  return cli_util::have_fmnist("train-images-idx3-ubyte.gz") &&
         cli_util::have_fmnist("t10k-images-idx3-ubyte.gz");
}

// The bad inputs, once for the whole suite.
class Errors : public ::testing::Test {
 protected:
  static std::string dir_, cap_;

  static void SetUpTestSuite() {
    dir_ = e2e::fresh_dir("errors");
    cap_ = e2e::fresh_dir("errors_cap");
    const std::string d = dir_;
    cli_util::Result r = e2e::run(cap_, "model random --arch 784-16-10 --seed 1 --out " + d + "/m.bnn");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string model = slurp(d + "/m.bnn");
    write(d + "/garbage.bnn", "not a model\n");
    write(d + "/trunc.bnn", model.substr(0, 100));
    std::string crc = model;
    crc[crc.size() / 2] = static_cast<char>(crc[crc.size() / 2] ^ 0xff);
    write(d + "/crc.bnn", crc);
    mkdir((d + "/emptydata").c_str(), 0755);

    // System configs: the repository's small system with one defect each.
    std::string sys = replace_all(slurp(kSystem), "\"../devices/",
                                  "\"" RRAMSIM_SOURCE_DIR "/configs/devices/");
    ASSERT_NE(sys.find("\"channels\": 2"), std::string::npos);
    write(d + "/badjson.json", "{ \"name\": ");
    write(d + "/unknown_key.json", "{ \"colour\": 1," + sys.substr(sys.find('{') + 1));
    write(d + "/range.json", replace_all(sys, "\"channels\": 2", "\"channels\": 0"));
    std::string tiny = replace_all(sys, "\"channels\": 2", "\"channels\": 1");
    tiny = replace_all(tiny, "\"banks_per_channel\": 8", "\"banks_per_channel\": 1");
    tiny = replace_all(tiny, "\"crossbars_per_bank\": 8", "\"crossbars_per_bank\": 1");
    tiny = replace_all(tiny, "\"rows\": 512", "\"rows\": 4");
    write(d + "/tiny.json", replace_all(tiny, "\"columns\": 512", "\"columns\": 64"));

    write(d + "/bad.stl", "garbage line\n");
    write(d + "/bad_faults.csv", "x,y\n1,2\n");
    write(d + "/badpts.csv", "energy_pj,ber\n1,0.1\nx\n");
    const std::string sysq = "\"systems\": [\"" + kSystem + "\"]";
    write(d + "/exp_unknown.json", "{" + sysq + ", \"models\": [\"m.bnn\"], \"colour\": 1}");
    write(d + "/exp_mode.json", "{" + sysq + ", \"models\": [\"m.bnn\"], \"mode\": \"fast\"}");
    write(d + "/exp_nosys.json", "{\"models\": [\"m.bnn\"]}");
    write(d + "/exp_seeds.json", "{" + sysq + ", \"models\": [\"m.bnn\"], \"seeds\": []}");
    write(d + "/exp_nomodel.json", "{" + sysq + ", \"models\": [\"no-such.bnn\"]}");
    mkdir((d + "/badrows").c_str(), 0755);
    write(d + "/badrows/results.shard-0-of-1.jsonl", "not a row\nnot a row either\n");

    // A checkpoint to resume from with different options.
    if (have_data()) {
      r = e2e::run(cap_, "train --arch 784-16-10 --data fashion-mnist --out " + d +
                             "/first.bnn --train-limit 100 --test-limit 10 --batch 50 --seed 3 "
                             "--epochs 1 --no-progress");
      ASSERT_EQ(r.code, 0) << r.err;
    }
  }

  // Every file under the fixture directory with its size: a failed command must not change it.
  static std::map<std::string, std::string> snapshot() {
    std::map<std::string, std::string> out;
    for (const std::string &n : e2e::list_dir(dir_)) {
      const std::string p = dir_ + "/" + n;
      struct stat st;
      stat(p.c_str(), &st);
      if (S_ISDIR(st.st_mode)) {
        for (const std::string &m : e2e::list_dir(p)) out[n + "/" + m] = slurp(p + "/" + m);
        out[n + "/"] = "";
      } else {
        out[n] = slurp(p);
      }
    }
    return out;
  }
};

std::string Errors::dir_, Errors::cap_;

TEST_F(Errors, CatalogueAndCasesMatchOneToOne) {
  const std::vector<Entry> cat = parse_catalogue(RRAMSIM_ERRORS_MD);
  ASSERT_GE(cat.size(), 50u) << "docs/errors.md parsed to too few entries";
  std::map<std::string, int> in_doc, in_cases;
  for (const Entry &e : cat) ++in_doc[e.id];
  for (const Case &c : kCases) ++in_cases[c.id];
  for (const auto &kv : in_doc) {
    EXPECT_EQ(kv.second, 1) << kv.first << " appears more than once in docs/errors.md";
    EXPECT_EQ(in_cases.count(kv.first), 1u) << kv.first << " in docs/errors.md has no test case";
  }
  for (const auto &kv : in_cases) {
    EXPECT_EQ(kv.second, 1) << kv.first << " has more than one test case";
    EXPECT_EQ(in_doc.count(kv.first), 1u) << "test case " << kv.first << " is not in docs/errors.md";
  }
}

TEST_F(Errors, EveryCatalogueEntryIsProducedAsDocumented) {
  std::map<std::string, Case> cases;
  for (const Case &c : kCases) cases.emplace(c.id, c);
  const bool data = have_data();
  size_t ran = 0;
  for (const Entry &e : parse_catalogue(RRAMSIM_ERRORS_MD)) {
    SCOPED_TRACE(e.id);
    auto it = cases.find(e.id);
    if (it == cases.end()) continue;  // reported by CatalogueAndCasesMatchOneToOne
    if (it->second.needs_data && !data) continue;
    const std::string args =
        replace_all(replace_all(it->second.args, "{D}", dir_), "{S}", kSystem);
    const auto before = snapshot();
    const cli_util::Result r = e2e::run(cap_, args);
    ++ran;
    EXPECT_EQ(r.code, e.exit_code) << "rramsim " << args << "\n" << r.err;
    EXPECT_TRUE(std::regex_search(r.err, pattern_regex(e.pattern)))
        << "rramsim " << args << "\nstderr:   " << r.err << "expected: " << e.pattern;
    // One line for the error itself (the unknown-command case prints the command list after it).
    if (e.id != "CLI-UNKNOWN-COMMAND") {
      EXPECT_EQ(e2e::lines(r.err).size(), 1u) << r.err;
    }
    EXPECT_TRUE(r.out.empty() || e.id == "SWEEP-BAD-ROW") << r.out;
    EXPECT_TRUE(before == snapshot()) << "rramsim " << args << " changed or created files in "
                                      << dir_;
  }
  EXPECT_GE(ran, data ? sizeof kCases / sizeof kCases[0] : 40u);
}

TEST(ErrorPatterns, PlaceholdersMatchAnyTextAndTheRestLiterally) {
  EXPECT_TRUE(std::regex_search("rramsim x: a.b: bad (1) [q]", pattern_regex("x: <f>: bad (<n>) [q]")));
  EXPECT_FALSE(std::regex_search("rramsim x: a.b: bad 1", pattern_regex("x: <f>: bad (<n>)")));
  EXPECT_FALSE(std::regex_search("rramsim x: ab", pattern_regex("x: a.b")));
}

}  // namespace
