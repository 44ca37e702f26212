// test_errors.cpp — walks docs/errors.md: every catalogued error is produced from the CLI with a
// bad input, exits with the catalogued code, prints a line matching the catalogued pattern and
// creates no file. Fails when the catalogue and the cases here drift apart.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <zlib.h>

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
  for (const std::string &l : e2e::lines(slurp(path))) {
    if (l.rfind("| `", 0) != 0) continue;
    const size_t id_end = l.find("` | ", 3);
    if (id_end == std::string::npos || id_end + 6 > l.size()) continue;
    const std::string id = l.substr(3, id_end - 3);
    if (id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos)
      continue;
    const char code = l[id_end + 4];
    if (code < '0' || code > '9' || l.compare(id_end + 5, 4, " | `") != 0) continue;
    const size_t msg = id_end + 9, msg_end = l.find("` |", msg);
    if (msg_end == std::string::npos) continue;
    out.push_back({id, code - '0', l.substr(msg, msg_end - msg)});
  }
  return out;
}

// Whether `pattern` occurs in `text`: literal text, each <placeholder> any non-empty text.
// (Hand-written rather than <regex>: see e2e::mask_json_fields.)
bool match_here(const std::string &text, size_t t, const std::string &p, size_t i) {
  if (i == p.size()) return true;
  if (p[i] == '<') {
    const size_t e = p.find('>', i);
    if (e != std::string::npos) {
      for (size_t k = t + 1; k <= text.size(); ++k)
        if (match_here(text, k, p, e + 1)) return true;
      return false;
    }
  }
  return t < text.size() && text[t] == p[i] && match_here(text, t + 1, p, i + 1);
}

bool pattern_found(const std::string &text, const std::string &pattern) {
  for (size_t t = 0; t <= text.size(); ++t)
    if (match_here(text, t, pattern, 0)) return true;
  return false;
}

// One case per catalogue ID. In args, {D} is the fixture directory (bad files live there) and
// {S} the repository's configs/systems/small.json. No case needs an installed data set: those that
// read images use the fixture's tiny IDX set ({D}/tiny).
struct Case {
  const char *id;
  const char *args;
  const char *env = nullptr;  // NAME=VALUE set for this command only ({D} replaced), or none
};

const Case kCases[] = {
    {"CLI-UNKNOWN-COMMAND", "frobnicate"},
    {"CLI-UNKNOWN-OPTION", "eval --model {D}/m.bnn --data fashion-mnist --bogus 1"},
    {"CLI-MISSING-VALUE", "eval --model {D}/m.bnn --data fashion-mnist --threads"},
    {"CLI-FLAG-VALUE", "eval --model {D}/m.bnn --data fashion-mnist --json=1"},
    {"CLI-UNEXPECTED-ARG", "eval --model {D}/m.bnn --data fashion-mnist extra"},
    {"CLI-BAD-INTEGER", "eval --model {D}/m.bnn --data fashion-mnist --reps 0"},
    {"CLI-BAD-NUMBER", "eval --model {D}/m.bnn --data fashion-mnist --ber-write 0.7"},
    {"CLI-BAD-RANGE",
     "eval --model {D}/m.bnn --data fashion-mnist --ber-sweep 0.1:0.05:0.01 --csv {D}/out.csv"},
    {"CLI-RANGE-TOO-LONG", "eval --model {D}/m.bnn --data fashion-mnist --ber-sweep 0:0.5:0.0001"},
    {"CLI-RANGE-OUTSIDE", "predict --model {D}/m.bnn --data fashion-mnist --ber 0.9"},
    {"CLI-UNKNOWN-SUBCOMMAND", "model frob"},
    {"CLI-EMPTY-VALUE", "run --system {S} --model {D}/m.bnn --rram-layers= --out {D}/out"},
    {"INPUT-NOT-REGULAR", "model info /dev/zero"},
    {"INPUT-TOO-LARGE", "sim --system {D}/big/in/huge.json --stats {D}/out.json"},
    {"OUTPUT-IS-INPUT",
     "run --system {S} --model {D}/m.bnn --data {D}/tiny --limit 5 --quiet --predictions "
     "{D}/m.bnn"},
    {"MODEL-CANNOT-OPEN", "model info {D}/no-such.bnn"},
    {"MODEL-BAD-MAGIC", "model info {D}/garbage.bnn"},
    {"MODEL-TRUNCATED", "model info {D}/trunc.bnn"},
    {"MODEL-CRC", "model info {D}/crc.bnn"},
    {"MODEL-BAD-ARCH", "model random --arch 784-x-10 --seed 1 --out {D}/out.bnn"},
    {"MODEL-INFO-ARGS", "model info {D}/m.bnn {D}/m.bnn"},
    {"MODEL-RANDOM-ARGS", "model random --arch 784-16-10 --seed 1"},
    {"DATA-NOT-FOUND", "eval --model {D}/m.bnn --data {D}/emptydata"},
    {"DATA-BAD-SPLIT", "eval --model {D}/m.bnn --data fashion-mnist --split valid"},
    {"DATA-IDX-TRUNCATED", "eval --model {D}/m.bnn --data {D}/badidx"},
    {"DATA-LABEL-COUNT", "eval --model {D}/m.bnn --data {D}/mislabelled"},
    {"DATA-LABEL-RANGE", "eval --model {D}/m.bnn --data {D}/badlabel --quiet"},
    {"DATA-GZIP-TRUNCATED", "eval --model {D}/m.bnn --data {D}/gznotrailer"},
    {"EVAL-DATA-REQUIRED", "eval --model {D}/m.bnn"},
    {"EVAL-CSV-NEEDS-SWEEP", "eval --model {D}/m.bnn --data fashion-mnist --csv {D}/out.csv"},
    {"EVAL-SWEEP-EXCLUSIVE",
     "eval --model {D}/m.bnn --data fashion-mnist --ber-sweep 0.1 --ber-read 0.1 --csv "
     "{D}/out.csv"},
    {"EVAL-WRITE01-PAIR", "eval --model {D}/m.bnn --data fashion-mnist --ber-write01 0.1"},
    {"EVAL-ERROR-LAYERS", "eval --model {D}/m.bnn --data fashion-mnist --error-layers 5"},
    {"EVAL-KERNEL", "eval --model {D}/m.bnn --data fashion-mnist --kernel gpu"},
    {"EVAL-CSV-UNWRITABLE",
     "eval --model {D}/m.bnn --data {D}/tiny --ber-sweep 0,0.1 --csv {D}/no-dir/out.csv --quiet"},
    {"TRAIN-ARCH-REQUIRED", "train --data fashion-mnist --out {D}/out.bnn"},
    {"TRAIN-DATA-REQUIRED", "train --arch 784-16-10 --out {D}/out.bnn"},
    {"TRAIN-OUT-REQUIRED", "train --arch 784-16-10 --data {D}/tiny"},
    {"TRAIN-LOSS", "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn --loss l2"},
    {"TRAIN-FLIP-GRAD",
     "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn --flip-grad up"},
    {"TRAIN-BN-STATS",
     "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn --bn-stats batch"},
    {"EXPERIMENT-OUTPUT-KIND",
     "experiment paper --quick --quiet --out-dir {D}/xp --report {D}/emptydata"},
    {"EXPERIMENT-OUTPUT-CANNOT-CREATE",
     "experiment paper --quick --quiet --out-dir /proc/rramsim-no/xp --report {D}/xp.md"},
    {"EXPERIMENT-REPORT-PLOT-DIR",
     "experiment paper --quick --quiet --out-dir {D}/xp --report {D}/xp/summary"},
    {"EXPERIMENT-REPORT-IS-CACHE",
     "experiment paper --quick --quiet --out-dir {D}/xp.md --report {D}/xp.md"},
    {"EXPERIMENT-STUDY-DESIGN-REQUIRED", "experiment study --results {D}/r"},
    {"EXPERIMENT-STUDY-SHARD", "experiment study --design {D}/d.json --shard 3/3"},
    {"EXPERIMENT-STUDY-DESIGN-JSON", "experiment study --design {D}/no-such.json"},
    {"EXPERIMENT-STUDY-PM1", "experiment study --design {D}/pm1_conv.json --results {D}/r"},
    {"TRAIN-INPUT-RANGE",
     "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn --input-range 11"},
    {"TRAIN-INPUT-RANGE-CONV",
     "train --arch vgg3 --data {D}/tiny --out {D}/out.bnn --input-range pm1 "
     "--train-limit 10 --test-limit 10 --quiet"},
    {"TRAIN-REG-LAYERS",
     "train --arch 784-16-10 --data fashion-mnist --out {D}/out.bnn --reg-layers first"},
    {"TRAIN-FLIP-LAYERS",
     "train --arch 784-16-10 --data {D}/tiny --out {D}/out.bnn --flip-layers 9 "
     "--train-limit 10 --test-limit 10"},
    {"TRAIN-ARCH-SHAPE",
     "train --arch 785-16-10 --data {D}/tiny --out {D}/out.bnn "
     "--train-limit 10 --test-limit 10"},
    {"TRAIN-LOG-OPEN",
     "train --arch 784-16-10 --data {D}/tiny --out {D}/no-dir/out.bnn "
     "--train-limit 10 --test-limit 10 --quiet"},
    {"TRAIN-RESUME-BAD-CHECKPOINT",
     "train --arch 784-16-10 --data {D}/tiny --out {D}/out.bnn "
     "--train-limit 10 --test-limit 10 --quiet "
     "--checkpoint {D}/garbage.bnn --resume"},
    {"TRAIN-RESUME-MISMATCH",
     "train --arch 784-16-10 --data {D}/tiny --out {D}/out.bnn "
     "--train-limit 100 --test-limit 10 --batch 50 --seed 3 --quiet "
     "--checkpoint {D}/first.bnn.ckpt --resume --epochs 2 --flip-p 0.01"},
    {"TRAIN-RESUME-ARCH",
     "train --arch 784-32-10 --data {D}/tiny --out {D}/out.bnn "
     "--train-limit 100 --test-limit 10 --batch 50 --seed 3 --quiet "
     "--checkpoint {D}/first.bnn.ckpt --resume --epochs 2"},
    {"TRAIN-RESUME-CRC",
     "train --arch 784-16-10 --data {D}/tiny --out {D}/out.bnn "
     "--train-limit 100 --test-limit 10 --batch 50 --seed 3 --quiet "
     "--checkpoint {D}/crc.ckpt --resume --epochs 2"},
    {"TRAIN-RESUME-TRUNCATED",
     "train --arch 784-16-10 --data {D}/tiny --out {D}/out.bnn "
     "--train-limit 100 --test-limit 10 --batch 50 --seed 3 --quiet "
     "--checkpoint {D}/trunc.ckpt --resume --epochs 2"},
    {"TRAIN-RESUME-MISSING",
     "train --arch 784-16-10 --data {D}/tiny --out {D}/out.bnn "
     "--train-limit 100 --test-limit 10 --batch 50 --seed 3 --quiet "
     "--checkpoint {D}/no-such.ckpt --resume --epochs 2"},
    {"TRAIN-ARCH-LIMITS",
     "train --arch 784-65537-10 --data {D}/tiny --out {D}/out.bnn "
     "--train-limit 10 --test-limit 10 --quiet"},
    {"METRIC-MODEL-REQUIRED", "metric --data fashion-mnist"},
    {"PREDICT-DATA-REQUIRED", "predict --model {D}/m.bnn"},
    {"PREDICT-MEAN", "predict --model {D}/m.bnn --data {D}/tiny --ber 0.01 --mean exact"},
    {"CONFIG-REQUIRED", "sim --requests 10 --stats {D}/out.json"},
    {"CONFIG-CANNOT-OPEN", "sim --system {D}/no-such.json --stats {D}/out.json"},
    {"CONFIG-JSON-SYNTAX", "sim --system {D}/badjson.json --stats {D}/out.json"},
    {"CONFIG-UNKNOWN-KEY", "sim --system {D}/unknown_key.json --stats {D}/out.json"},
    {"CONFIG-OUT-OF-RANGE", "sim --system {D}/range.json --stats {D}/out.json"},
    {"CONFIG-TYPE", "sim --system {D}/type.json --stats {D}/out.json"},
    {"CONFIG-CHOICE", "sim --system {D}/policy.json --stats {D}/out.json"},
    {"CONFIG-POWER-OF-TWO", "sim --system {D}/columns.json --stats {D}/out.json"},
    {"CONFIG-DEVICE-RANGE", "sim --system {D}/devber.json --stats {D}/out.json"},
    {"CONFIG-ARRAY-RANGE", "sim --system {D}/arr_ron.json --stats {D}/out.json"},
    {"CONFIG-ARRAY-NODE", "sim --system {D}/arr_node.json --stats {D}/out.json"},
    {"CONFIG-ARRAY-DERIVED", "sim --system {D}/arr_derived.json --stats {D}/out.json"},
    {"CONFIG-ARRAY-GEOMETRY", "sim --system {D}/arr_mux.json --stats {D}/out.json"},
    {"CONFIG-MISSING-KEY", "device info {S}"},
    {"CONFIG-OP-POINT", "sim --system {S} --op-point turbo --stats {D}/out.json"},
    {"CONFIG-CAPACITY",
     "run --system {D}/tiny.json --model {D}/m.bnn --data {D}/tiny --limit 5 --quiet --out "
     "{D}/out"},
    {"CONFIG-RRAM-LAYER",
     "run --system {S} --model {D}/m.bnn --data {D}/tiny --rram-layers 7 --limit 5 --quiet --out "
     "{D}/out"},
    {"SIM-TRAFFIC", "sim --system {S} --traffic zigzag --stats {D}/out.json"},
    {"CONFIG-SET-SYNTAX", "sim --system {S} --set rows --stats {D}/out.json"},
    {"CONFIG-SET-UNKNOWN-KEY", "sim --system {S} --set organisation.rowz=2 --stats {D}/out.json"},
    {"RUN-RRAM-LAYERS", "run --system {S} --model {D}/m.bnn --rram-layers x --out {D}/out"},
    {"DEVICE-CELL", "device fit {D}/badpts.csv --cell 3T"},
    {"DEVICE-POINTS-OPEN", "device fit {D}/no-such.csv --cell 2T2R"},
    {"DEVICE-POINTS-LINE", "device fit {D}/badpts.csv --cell 2T2R"},
    {"DEVICE-POINTS-FEW", "device fit {D}/fewpts.csv --cell 2T2R"},
    {"DEVICE-POINTS-BER", "device fit {D}/berpts.csv --cell 2T2R"},
    {"DEVICE-FIT-ONE-ENERGY", "device fit {D}/onepts.csv"},
    {"DEVICE-FIT-POOR", "device fit {D}/zigzagpts.csv --strict"},
    {"DEVICE-FIT-UNPHYSICAL", "device fit {D}/risingpts.csv --strict"},
    {"DEVICE-POINTS-CURRENT", "device fit {D}/hugepts.csv --cell 2T2R"},
    {"TRACE-MALFORMED-STL", "trace convert {D}/bad.stl {D}/out.rrt"},
    {"TRACE-NUL-BYTE", "trace convert {D}/nul.stl {D}/out.rrt"},
    {"TRACE-CANNOT-OPEN", "replay --system {S} --trace {D}/no-such.stl --stats {D}/out.json"},
    {"TRACE-NO-CLOCK", "replay --system {S} --trace {D}/bad.stl --stats {D}/out.json"},
    {"TRACE-OUT-NAME", "trace convert {D}/bad.stl {D}/out.txt"},
    {"TRACE-CONVERT-ARGS", "trace convert {D}/bad.stl"},
    {"REPLAY-TRACE-REQUIRED", "replay --system {S} --stats {D}/out.json"},
    {"REPLAY-CLOCK-BOTH",
     "replay --system {S} --trace {D}/bad.stl --clock-ps 1000 --clock-mhz 1000 --stats "
     "{D}/out.json"},
    {"REPLAY-ADDRESS-MAP",
     "replay --system {S} --trace {D}/bad.stl --address-map fold --stats {D}/out.json"},
    {"REPLAY-TIME-RANGE", "replay --system {S} --trace {D}/far.stl --stats {D}/out.json"},
    {"FAULTS-REQUIRED", "faults replay --model {D}/m.bnn --system {S}"},
    {"FAULTS-HEADER",
     "faults replay --model {D}/m.bnn --data {D}/tiny --faults {D}/bad_faults.csv --system {S} "
     "--limit 5 --predictions {D}/out.txt"},
    {"FAULTS-CANNOT-OPEN",
     "faults replay --model {D}/m.bnn --data {D}/tiny --faults {D}/no-such.csv --system {S} "
     "--limit 5 --predictions {D}/out.txt"},
    {"FAULTS-MODEL-MISMATCH",
     "faults replay --model {D}/m2.bnn --data {D}/tiny --faults {D}/faults.csv "
     "--system {S} --limit 5 --predictions {D}/out.txt"},
    {"FAULTS-SIDECAR",
     "faults replay --model {D}/m.bnn --data {D}/tiny --faults {D}/faults_side.csv "
     "--system {S} --limit 5 --predictions {D}/out.txt"},
    {"FAULTS-BAD-RECORD",
     "faults replay --model {D}/m.bnn --data {D}/tiny --faults {D}/faults_bad.csv "
     "--system {S} --limit 5 --predictions {D}/out.txt"},
    {"SWEEP-OUT-REQUIRED", "sweep {D}/exp_mode.json"},
    {"SWEEP-SHARD", "sweep {D}/exp_mode.json --out {D}/out --shard 3/2"},
    {"SWEEP-JSON-SYNTAX", "sweep {D}/badjson.json --out {D}/out"},
    {"SWEEP-UNKNOWN-KEY", "sweep {D}/exp_unknown.json --out {D}/out"},
    {"SWEEP-MODE", "sweep {D}/exp_mode.json --out {D}/out"},
    {"SWEEP-REQUIRED-KEY", "sweep {D}/exp_nosys.json --out {D}/out"},
    {"SWEEP-SEEDS", "sweep {D}/exp_seeds.json --out {D}/out"},
    {"SWEEP-OP-POINT", "sweep {D}/exp_op.json --out {D}/out"},
    {"SWEEP-MODEL-OPEN", "sweep {D}/exp_nomodel.json --out {D}/out"},
    {"SWEEP-MERGE-EMPTY", "sweep --merge {D}/emptydata"},
    {"SWEEP-MERGE-ARGS", "sweep --merge {D}/badrows --out {D}/out"},
    {"SWEEP-BAD-ROW", "sweep --merge {D}/badrows"},
    {"SWEEP-MERGE-MISSING", "sweep --merge {D}/merge_missing"},
    {"SWEEP-MERGE-MIXED", "sweep --merge {D}/merge_mixed"},
    {"SWEEP-MERGE-INCOMPLETE", "sweep --merge {D}/merge_incomplete"},
    {"SWEEP-MERGE-NO-SIDECAR", "sweep --merge {D}/merge_nosidecar"},
    {"SWEEP-MERGE-LOCKED", "sweep --merge {D}/merge_locked"},
    {"SWEEP-VARY-UNKNOWN-KEY", "sweep {D}/exp_vary_unknown.json --out {D}/out"},
    {"SWEEP-VARY-LIST", "sweep {D}/exp_vary_list.json --out {D}/out"},
    {"SWEEP-VARY-ZIP-LENGTH", "sweep {D}/exp_vary_zip.json --out {D}/out"},
    {"SWEEP-INVISIBLE-AXIS", "sweep {D}/exp_vary_invisible.json --out {D}/out"},
    {"SWEEP-VARY-TOO-MANY", "sweep {D}/exp_vary_too_many.json --out {D}/out"},
    {"PLOT-NO-RESULTS", "plot {D}/emptydata"},
    {"PLOT-BAD-ROW", "plot {D}/badrows"},
    {"IMPORT-ARGS", "model import {D}/garbage.onnx"},
    {"IMPORT-FILE-TYPE", "model import {D}/garbage.bnn --out {D}/out.bnn"},
    {"IMPORT-NOT-ONNX", "model import {D}/garbage.onnx --out {D}/out.bnn"},
    {"IMPORT-NOT-BNN", "model import {D}/float_relu.onnx --out {D}/out.bnn"},
    {"IMPORT-NOT-NPZ", "model import {D}/garbage.npz --out {D}/out.bnn"},
    {"IMPORT-NPZ-KEY", "model import {D}/missing_key.npz --out {D}/out.bnn"},
    {"IMPORT-EXPORT-ARGS", "model export {D}/m.bnn"},
    {"IMPORT-NO-PYTHON", "model import {D}/garbage.onnx --out {D}/out.bnn",
     "RRAMSIM_PYTHON={D}/no-such-python3"},
    // A library without the C declarations beside it: the package's ImportError, as one line.
    {"IMPORT-PACKAGE-LOAD", "model import {D}/garbage.onnx --out {D}/out.bnn",
     "RRAMSIM_LIB={D}/lib_without_cdef/librramsim.so"},
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

// The bad inputs, once for the whole suite.
class ErrorCatalogue : public ::testing::TestWithParam<std::string> {
 protected:
  static std::string dir_, cap_;
  static int shard_lock_fd_;  // held for the suite (the lock is released when the process exits)

  static void SetUpTestSuite() {
    dir_ = e2e::fresh_dir("errors");
    cap_ = e2e::fresh_dir("errors_cap");
    const std::string d = dir_;
    cli_util::Result r =
        e2e::run(cap_, "model random --arch 784-16-10 --seed 1 --out " + d + "/m.bnn");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string model = slurp(d + "/m.bnn");
    write(d + "/garbage.bnn", "not a model\n");
    // model import: a non-ONNX .onnx, a non-zip .npz, a float ReLU net, an .npz missing weights.
    write(d + "/garbage.onnx", "not a network\n");
    ASSERT_EQ(::mkdir((d + "/lib_without_cdef").c_str(), 0755), 0);
    write(d + "/lib_without_cdef/librramsim.so", "");
    write(d + "/garbage.npz", "not an archive\n");
    write(d + "/float_relu.onnx", slurp(RRAMSIM_SOURCE_DIR "/python/tests/data/float_relu.onnx"));
    write(d + "/missing_key.npz", slurp(RRAMSIM_SOURCE_DIR "/python/tests/data/missing_key.npz"));
    write(d + "/trunc.bnn", model.substr(0, 100));
    std::string crc = model;
    crc[crc.size() / 2] = static_cast<char>(crc[crc.size() / 2] ^ 0xff);
    write(d + "/crc.bnn", crc);
    mkdir((d + "/emptydata").c_str(), 0755);

    // System configs: the repository's small system with one defect each.
    std::string sys =
        replace_all(slurp(kSystem), "\"../devices/", "\"" RRAMSIM_SOURCE_DIR "/configs/devices/");
    ASSERT_NE(sys.find("\"channels\": 2"), std::string::npos);
    write(d + "/badjson.json", "{ \"name\": ");
    write(
        d + "/pm1_conv.json",
        R"({"bers": [0], "seeds": [1], "configs": [{"id": "v", "arch": "vgg3", "encoding": "pm1"}]})");
    write(d + "/unknown_key.json", "{ \"colour\": 1," + sys.substr(sys.find('{') + 1));
    write(d + "/range.json", replace_all(sys, "\"channels\": 2", "\"channels\": 0"));
    std::string tiny = replace_all(sys, "\"channels\": 2", "\"channels\": 1");
    tiny = replace_all(tiny, "\"banks_per_channel\": 8", "\"banks_per_channel\": 1");
    tiny = replace_all(tiny, "\"crossbars_per_bank\": 8", "\"crossbars_per_bank\": 1");
    tiny = replace_all(tiny, "\"rows\": 512", "\"rows\": 4");
    write(d + "/tiny.json", replace_all(tiny, "\"columns\": 512", "\"columns\": 64"));

    write(d + "/bad.stl", "garbage line\n");
    // Two levels down: the fixture's snapshot (one level deep) does not read its 17 MiB each time.
    mkdir((d + "/big").c_str(), 0755);
    mkdir((d + "/big/in").c_str(), 0755);
    write(d + "/big/in/huge.json", "{" + std::string(17u << 20, ' ') + "}");
    write(d + "/nul.stl", std::string("0: read 0x0\n") + '\0' + "5: read 0x40\n");
    // A trace recorded on the small system (its header names that config: no warning), with a
    // record at cycle 2^64-1 (clock 1 ps) appended.
    r = e2e::run(cap_, "sim --system " + kSystem + " --requests 2 --quiet --record-accesses " +
                           cap_ + "/rec.stl");
    ASSERT_EQ(r.code, 0) << r.err;
    write(d + "/far.stl", slurp(cap_ + "/rec.stl") + "18446744073709551615: read 0x40\n");
    write(d + "/bad_faults.csv", "x,y\n1,2\n");
    write(d + "/badpts.csv", "energy_pj,ber\n1,0.1\nx\n");
    const std::string sysq = "\"systems\": [\"" + kSystem + "\"]";
    write(d + "/exp_unknown.json", "{" + sysq + ", \"models\": [\"m.bnn\"], \"colour\": 1}");
    write(d + "/exp_mode.json", "{" + sysq + ", \"models\": [\"m.bnn\"], \"mode\": \"fast\"}");
    write(d + "/exp_nosys.json", "{\"models\": [\"m.bnn\"]}");
    write(d + "/exp_seeds.json", "{" + sysq + ", \"models\": [\"m.bnn\"], \"seeds\": []}");
    write(d + "/exp_op.json",
          "{" + sysq + ", \"models\": [\"m.bnn\"], \"op_points\": [\"turbo\"]}");
    write(d + "/exp_nomodel.json", "{" + sysq + ", \"models\": [\"no-such.bnn\"]}");
    const std::string vexp = "{" + sysq + ", \"models\": [\"m.bnn\"], \"data\": \"" + d +
                             "/tiny\", \"mode\": \"functional\", ";
    write(d + "/exp_vary_unknown.json", vexp + "\"vary\": {\"organisation.queue_dept\": [4, 8]}}");
    write(d + "/exp_vary_list.json", vexp + "\"vary\": {\"organisation.queue_depth\": 4}}");
    write(
        d + "/exp_vary_zip.json",
        vexp +
            "\"vary_zip\": {\"organisation.rows\": [256, 512], \"organisation.columns\": [512]}}");
    write(d + "/exp_vary_invisible.json",
          vexp + "\"vary\": {\"organisation.queue_depth\": [4, 8]}}");
    // Nine axes of ten values: 10^9 combinations, refused before any system is loaded.
    std::string axes;
    for (const char *k :
         {"channels", "banks_per_channel", "crossbars_per_bank", "rows", "columns",
          "bus_width_bits", "bus_clock_mhz", "controller_latency_cycles", "queue_depth"})
      axes += std::string(axes.empty() ? "" : ", ") + "\"organisation." + k +
              "\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    write(d + "/exp_vary_too_many.json", vexp + "\"vary\": {" + axes + "}}");
    mkdir((d + "/badrows").c_str(), 0755);
    write(d + "/badrows/results.shard-0-of-1.jsonl", "not a row\nnot a row either\n");
    // Shard sets the merge refuses: shard 1 of 2 missing; a 1-way and a 2-way split; a shard
    // with none of the one point its sidecar lists; a shard without its sidecar.
    for (const char *m : {"merge_missing", "merge_mixed", "merge_incomplete", "merge_nosidecar"})
      mkdir((d + "/" + m).c_str(), 0755);
    write(d + "/merge_missing/results.shard-0-of-2.jsonl", "");
    write(d + "/merge_mixed/results.shard-0-of-1.jsonl", "");
    write(d + "/merge_mixed/results.shard-0-of-2.jsonl", "");
    write(d + "/merge_incomplete/results.shard-0-of-1.jsonl", "");
    write(d + "/merge_incomplete/results.shard-0-of-1.json",
          "{\"runs\": [{\"experiment\": \"e.json\", \"grid_points\": 1, \"grid_hash\": "
          "\"fnv1a64:0\"}], \"points\": [[0, \"functional|s|nominal|m.bnn|1|20|1\"]]}\n");
    write(d + "/merge_nosidecar/results.shard-0-of-1.jsonl", "");
    // A shard still running: this process holds its file's lock, as the shard's sweep would.
    mkdir((d + "/merge_locked").c_str(), 0755);
    write(d + "/merge_locked/results.shard-0-of-1.jsonl", "");
    shard_lock_fd_ = open((d + "/merge_locked/results.shard-0-of-1.jsonl").c_str(), O_WRONLY);
    ASSERT_GE(shard_lock_fd_, 0);
    ASSERT_EQ(flock(shard_lock_fd_, LOCK_EX | LOCK_NB), 0);

    mkdir((d + "/tiny").c_str(), 0755);
    e2e::write_idx(d + "/tiny", "train", 100);
    e2e::write_idx(d + "/tiny", "t10k", 20);
    mkdir((d + "/badidx").c_str(), 0755);
    write(d + "/badidx/t10k-images-idx3-ubyte", "garbage\n");
    write(d + "/badidx/t10k-labels-idx1-ubyte", slurp(d + "/tiny/t10k-labels-idx1-ubyte"));
    // A gzip IDX image file without its 8-byte trailer (CRC-32, length).
    mkdir((d + "/gznotrailer").c_str(), 0755);
    {
      const std::string img = slurp(d + "/tiny/t10k-images-idx3-ubyte");
      const std::string gz = d + "/gznotrailer/t10k-images-idx3-ubyte.gz";
      gzFile g = gzopen(gz.c_str(), "wb");
      ASSERT_NE(g, nullptr);
      gzwrite(g, img.data(), (unsigned)img.size());
      gzclose(g);
      const std::string full = slurp(gz);
      write(gz, full.substr(0, full.size() - 8));
      const std::string lab = slurp(d + "/tiny/t10k-labels-idx1-ubyte");
      g = gzopen((d + "/gznotrailer/t10k-labels-idx1-ubyte.gz").c_str(), "wb");
      ASSERT_NE(g, nullptr);
      gzwrite(g, lab.data(), (unsigned)lab.size());
      gzclose(g);
    }
    mkdir((d + "/badlabel").c_str(), 0755);
    {
      std::string lab = slurp(d + "/tiny/t10k-labels-idx1-ubyte");
      lab[8] = static_cast<char>(200);  // the first label (after the 8-byte header)
      write(d + "/badlabel/t10k-labels-idx1-ubyte", lab);
      write(d + "/badlabel/t10k-images-idx3-ubyte", slurp(d + "/tiny/t10k-images-idx3-ubyte"));
    }
    mkdir((d + "/mislabelled").c_str(), 0755);
    write(d + "/mislabelled/t10k-images-idx3-ubyte", slurp(d + "/tiny/t10k-images-idx3-ubyte"));
    write(d + "/mislabelled/t10k-labels-idx1-ubyte", slurp(d + "/tiny/train-labels-idx1-ubyte"));
    write(d + "/badrows/results.jsonl", "not a row\nnot a row either\n");
    write(d + "/type.json", replace_all(sys, "\"rows\": 512", "\"rows\": \"many\""));
    write(d + "/policy.json", replace_all(sys, "\"fcfs\"", "\"lifo\""));
    write(d + "/columns.json", replace_all(sys, "\"columns\": 512", "\"columns\": 500"));
    const std::string dev = slurp(RRAMSIM_SOURCE_DIR "/configs/devices/hfo2_2t2r.json");
    ASSERT_NE(dev.find("\"write_ber_01\": 1e-7,"), std::string::npos);
    write(d + "/dev_ber.json",
          replace_all(dev, "\"write_ber_01\": 1e-7,", "\"write_ber_01\": 0.9,"));
    write(d + "/devber.json",
          replace_all(sys, "\"" RRAMSIM_SOURCE_DIR "/configs/devices/hfo2_2t2r.json\"",
                      "\"dev_ber.json\""));
    // The array cost model: a negative resistance, a node outside the tables, a derived key
    // given, a mux that does not divide the row.
    const std::string adev = slurp(RRAMSIM_SOURCE_DIR "/configs/devices/hfo2_2t2r_array.json");
    const std::pair<const char *, std::pair<const char *, const char *>> arr[] = {
        {"ron", {"\"r_on_ohm\": 5000", "\"r_on_ohm\": -5"}},
        {"node", {"\"node_nm\": 65", "\"node_nm\": 28"}},
        {"derived", {"\"prog_pulse_ns\": 50,", "\"prog_pulse_ns\": 50, \"t_read_ns\": 5,"}},
        {"mux", {"\"mux\": 8", "\"mux\": 3"}}};
    for (const auto &a : arr) {
      ASSERT_NE(adev.find(a.second.first), std::string::npos) << a.second.first;
      write(d + "/adev_" + a.first + ".json", replace_all(adev, a.second.first, a.second.second));
      write(d + "/arr_" + a.first + ".json",
            replace_all(sys, "\"" RRAMSIM_SOURCE_DIR "/configs/devices/hfo2_2t2r.json\"",
                        "\"adev_" + std::string(a.first) + ".json\""));
    }
    write(d + "/fewpts.csv", "energy_pj,ber\n1,0.1\n2,0.05\n");
    write(d + "/berpts.csv", "energy_pj,ber\n1,0.9\n");
    write(d + "/onepts.csv", "energy_pj,ber\n1,0.1\n1,0.05\n1,0.01\n1,0.02\n");
    write(d + "/zigzagpts.csv", "energy_pj,ber\n1,0.01\n2,0.2\n3,0.001\n4,0.3\n5,0.0001\n");
    write(d + "/risingpts.csv", "energy_pj,ber\n0.5,0.03\n1,0.01\n2,0.002\n4,0.0003\n");
    write(d + "/hugepts.csv", "energy_pj,ber\n1e308,0.1\n2e307,0.01\n3e307,0.001\n4e307,1e-4\n");
    r = e2e::run(cap_, "model random --arch 784-32-10 --seed 1 --out " + d + "/m2.bnn");
    ASSERT_EQ(r.code, 0) << r.err;
  }

  // Inputs that cost a training or simulation run, made only for the sections that use them
  // (each ctest test is its own process): a fault trace recorded for m.bnn and one with a damaged
  // record (FAULTS); a checkpoint, corrupted and truncated copies (TRAIN).
  static void make_costly_inputs(const std::string &section) {
    const std::string d = dir_;
    cli_util::Result r;
    if (section == "FAULTS") {
      // A fault trace recorded for m.bnn, and one with a damaged record.
      r = e2e::run(cap_, "run --system " + kSystem + " --op-point ultra_low --model " + d +
                             "/m.bnn --data " + d + "/tiny --limit 5 --quiet --record-faults " + d +
                             "/faults.csv");
      ASSERT_EQ(r.code, 0) << r.err;
      std::vector<std::string> fl = e2e::lines(slurp(d + "/faults.csv"));
      ASSERT_GT(fl.size(), 12u);
      fl[11] = "1,2,3";
      std::string fb;
      for (const std::string &l : fl) fb += l + "\n";
      write(d + "/faults_bad.csv", fb);
      // The copy needs the recorded trace's sidecar (its model_id); one with a damaged sidecar.
      const std::string side = slurp(d + "/faults.csv.meta.json");
      ASSERT_NE(side.find("\"model_id\""), std::string::npos) << side;
      write(d + "/faults_bad.csv.meta.json", side);
      write(d + "/faults_side.csv", slurp(d + "/faults.csv"));
      write(d + "/faults_side.csv.meta.json", side.substr(0, side.size() / 2));
    }
    if (section == "TRAIN") {
      // A checkpoint to resume from with different options.
      r = e2e::run(cap_, "train --arch 784-16-10 --data " + d + "/tiny --out " + d +
                             "/first.bnn --train-limit 100 --test-limit 10 --batch 50 --seed 3 "
                             "--epochs 1 --quiet");
      ASSERT_EQ(r.code, 0) << r.err;
      const std::string ck = slurp(d + "/first.bnn.ckpt");
      std::string ck_crc = ck;
      ck_crc[ck.size() / 2] = static_cast<char>(ck[ck.size() / 2] ^ 0xff);
      write(d + "/crc.ckpt", ck_crc);
      write(d + "/trunc.ckpt", ck.substr(0, 200));
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

std::string ErrorCatalogue::dir_, ErrorCatalogue::cap_;
int ErrorCatalogue::shard_lock_fd_ = -1;

TEST(ErrorCatalogueDoc, CatalogueAndCasesMatchOneToOne) {
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
    EXPECT_EQ(in_doc.count(kv.first), 1u)
        << "test case " << kv.first << " is not in docs/errors.md";
  }
}

// The section of an ID: the text before its first dash (CLI, MODEL, TRAIN, CONFIG, ...).
std::string section_of(const std::string &id) {
  return id.substr(0, id.find('-'));
}

// The catalogue's sections, in order of appearance: one test each, so ctest runs them in parallel
// and a failure names its section.
std::vector<std::string> sections() {
  std::vector<std::string> out;
  for (const Entry &e : parse_catalogue(RRAMSIM_ERRORS_MD)) {
    const std::string s = section_of(e.id);
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

TEST_P(ErrorCatalogue, EveryEntryIsProducedAsDocumented) {
  std::map<std::string, Case> cases;
  for (const Case &c : kCases) cases.emplace(c.id, c);
  make_costly_inputs(GetParam());
  if (HasFatalFailure()) return;
  size_t ran = 0;
  for (const Entry &e : parse_catalogue(RRAMSIM_ERRORS_MD)) {
    if (section_of(e.id) != GetParam()) continue;
    SCOPED_TRACE(e.id);
    auto it = cases.find(e.id);
    if (it == cases.end()) continue;  // reported by CatalogueAndCasesMatchOneToOne
    const std::string args = replace_all(replace_all(it->second.args, "{D}", dir_), "{S}", kSystem);
    const auto before = snapshot();
    std::string env_name;
    if (it->second.env) {  // the command's environment variable, restored after it
      const std::string env = replace_all(it->second.env, "{D}", dir_);
      env_name = env.substr(0, env.find('='));
      ASSERT_EQ(getenv(env_name.c_str()), nullptr) << env_name << " is set for the whole suite";
      setenv(env_name.c_str(), env.substr(env.find('=') + 1).c_str(), 1);
    }
    const cli_util::Result r = e2e::run(cap_, args);
    if (!env_name.empty()) unsetenv(env_name.c_str());
    ++ran;
    EXPECT_EQ(r.code, e.exit_code) << "rramsim " << args << "\n" << r.err;
    EXPECT_TRUE(pattern_found(r.err, e.pattern))
        << "rramsim " << args << "\nstderr:   " << r.err << "expected: " << e.pattern;
    // One line for the error itself (the unknown-command case prints the command list after it).
    if (e.id != "CLI-UNKNOWN-COMMAND") {
      EXPECT_EQ(e2e::lines(r.err).size(), 1u) << r.err;
    }
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_TRUE(before == snapshot())
        << "rramsim " << args << " changed or created files in " << dir_;
  }
  EXPECT_GT(ran, 0u);
}

INSTANTIATE_TEST_SUITE_P(Doc, ErrorCatalogue, ::testing::ValuesIn(sections()),
                         [](const ::testing::TestParamInfo<std::string> &i) { return i.param; });

TEST(ErrorPatterns, PlaceholdersMatchAnyTextAndTheRestLiterally) {
  EXPECT_TRUE(pattern_found("rramsim x: a.b: bad (1) [q]", "x: <f>: bad (<n>) [q]"));
  EXPECT_FALSE(pattern_found("rramsim x: a.b: bad 1", "x: <f>: bad (<n>)"));
  EXPECT_FALSE(pattern_found("rramsim x: ab", "x: a.b"));
  EXPECT_FALSE(pattern_found("rramsim x: : y", "x: <f>: y"));  // a placeholder is never empty
  EXPECT_TRUE(pattern_found("rramsim x: a: b: y", "x: <f>: y"));
}

// Removes this process's scratch directory when every test passed (kept for inspection otherwise).
class CleanScratch : public ::testing::Environment {
 public:
  void TearDown() override {
    if (::testing::UnitTest::GetInstance()->Failed()) return;
    const std::string cmd = "rm -rf '" + cli_util::make_dir("e2e_") + "'";
    if (std::system(cmd.c_str()) != 0)
      std::fprintf(stderr, "could not remove the scratch directory\n");
  }
};
::testing::Environment *const kCleanScratch = ::testing::AddGlobalTestEnvironment(new CleanScratch);

}  // namespace
