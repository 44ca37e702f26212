// test_config.cpp — presets load; every documented config error names file, key path and range.
#include <gtest/gtest.h>

#include <jansson.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "rramsim/config.hpp"
#include "sim_test_util.hpp"

using rramsim::ConfigError;
using simtest::device_json;
using simtest::make_config;
using simtest::org_json;

namespace {

std::string config_error(const std::string& sys_json) {
  try {
    rramsim::load_system_string(sys_json, "sys.json", ".");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string sys(const std::string& dev, const std::string& org, const std::string& extra = "") {
  return "{ \"device\": " + dev + ", \"organisation\": " + org + extra + " }";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

}  // namespace

TEST(Config, PresetsLoadAndValidate) {
  const std::string dir = RRAMSIM_SOURCE_DIR "/configs/systems/";
  for (const char* f : {"small.json", "large.json", "small_1t1r.json"}) {
    rramsim::SystemConfig c = rramsim::load_system_file(dir + f);
    EXPECT_GT(c.org.capacity_bytes(), 0u) << f;
  }
  rramsim::SystemConfig small = rramsim::load_system_file(dir + "small.json");
  EXPECT_GE(small.org.capacity_bytes(), 2u * 700u * 1024u);  // FCNN 784-2048-2048-10 fits twice
  // The HfO2 preset spans nominal (≤ 1e-6) to ultra-low power (3.3 %) at ~30× less energy.
  const rr_device& d = small.device;
  EXPECT_LE(d.points[0].write_ber_01, 1e-6);
  const rr_op_point& ulp = d.points[d.n_points - 1];
  EXPECT_DOUBLE_EQ(ulp.write_ber_01, 0.033);
  double ratio = (d.points[0].e_set_pj + d.points[0].e_reset_pj) / (ulp.e_set_pj + ulp.e_reset_pj);
  EXPECT_GT(ratio, 25.0);
  EXPECT_LT(ratio, 35.0);
  rramsim::select_op_point(small, "ultra_low");
  EXPECT_STREQ(small.op().name, "ultra_low");
}

TEST(Config, DefaultsAreApplied) {
  rramsim::SystemConfig c = make_config();
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.org.scheduler, rramsim::Scheduler::Fcfs);
  EXPECT_EQ(c.device.verify, RR_VERIFY_NONE);
  EXPECT_EQ(c.device.stuck_density, 0.0);
  EXPECT_DOUBLE_EQ(c.op().write_ber_01, 0.0);
  // Default mapping: column bits lowest, then bank (one bit), then rows.
  EXPECT_EQ(c.org.mapping.bits[0].size(), 6u);
  EXPECT_EQ(c.org.mapping.bits[static_cast<int>(rramsim::AddrField::Bank)][0], 6u);
  // The resolved config round-trips to JSON.
  EXPECT_HAS(rramsim::config_to_json(c), "\"write_low_watermark\"");
}

TEST(Config, AnalyticModelDerivesMissingWriteBer) {
  rramsim::SystemConfig c = make_config(
      ", \"prog_current_ua\": 100",
      ", \"analytic\": { \"i0_ua\": 200, \"lrs_median_kohm\": 5, \"hrs_median_kohm\": 100 }");
  rr_analytic a = c.device.analytic;
  double p01, p10;
  rr_analytic_ber(&a, RR_CELL_2T2R, 100, &p01, &p10);
  EXPECT_DOUBLE_EQ(c.op().write_ber_01, p01);
  EXPECT_GT(p01, 0.0);
  std::string m = config_error(sys(device_json("", ", \"analytic\": {}"), org_json()));
  EXPECT_HAS(m, "operating_points[0].prog_current_ua");
}

TEST(Config, SyntaxErrorGivesLineAndColumn) {
  std::string m = config_error("{\n  \"device\": {,\n}");
  EXPECT_HAS(m, "sys.json:2:");
  EXPECT_HAS(m, "JSON syntax error");
}

TEST(Config, UnknownKeysAreErrors) {
  EXPECT_HAS(config_error(sys(device_json(), org_json(), ", \"sed\": 1")),
             "sys.json: sed: unknown key");
  EXPECT_HAS(config_error(sys(device_json(", \"write_ber01\": 0.1"), org_json())),
             "device.operating_points[0].write_ber01: unknown key");
  EXPECT_HAS(config_error(sys(device_json(), org_json(", \"chanels\": 2"))),
             "organisation.chanels: unknown key");
}

TEST(Config, OutOfRangeNamesKeyPathAndRange) {
  std::string m = config_error(sys(device_json(", \"write_ber_01\": 0.7"), org_json()));
  EXPECT_HAS(m, "sys.json: device.operating_points[0].write_ber_01: 0.7 is outside [0, 0.5]");
  EXPECT_HAS(config_error(sys(device_json(", \"read_ber_10\": -1"), org_json())), "[0, 0.5]");
  EXPECT_HAS(config_error(sys(device_json(), org_json("", {{"queue_depth", "0"}}))),
             "organisation.queue_depth: 0 is outside [1, 4096]");
  EXPECT_HAS(config_error(sys(device_json(), org_json("", {{"bus_clock_mhz", "0"}}))),
             "organisation.bus_clock_mhz");
  EXPECT_HAS(config_error(sys(device_json("", ", \"stuck_at\": { \"density\": 0.9 }"), org_json())),
             "device.stuck_at.density: 0.9 is outside [0, 0.5]");
  EXPECT_HAS(
      config_error(sys(device_json("", ", \"endurance\": { \"median_writes\": 0.5 }"), org_json())),
      "device.endurance.median_writes");
  EXPECT_HAS(config_error(sys(device_json(), org_json(), ", \"seed\": -3")), "seed: -3 is outside");
}

TEST(Config, WrongTypes) {
  EXPECT_HAS(config_error(sys(device_json(", \"read_ber_01\": \"0.1\""), org_json())),
             "operating_points[0].read_ber_01: expected a number");
  EXPECT_HAS(config_error(sys(device_json(), org_json("", {{"rows", "16.5"}}))),
             "organisation.rows: expected an integer");
  // Duplicate keys are rejected by the parser (with line and column).
  EXPECT_HAS(config_error(sys(device_json(), org_json(", \"rows\": 8"))), "duplicate");
  EXPECT_HAS(config_error(sys("42", org_json())),
             "device: expected a file path or an inline object");
  EXPECT_HAS(config_error("[1, 2]"), "expected a JSON object");
  EXPECT_HAS(config_error(sys(device_json(), org_json(), ", \"op_point\": 3")),
             "op_point: expected a string");
}

TEST(Config, MissingRequiredKeys) {
  EXPECT_HAS(config_error("{ \"organisation\": " + org_json() + " }"), "device: missing");
  EXPECT_HAS(config_error("{ \"device\": " + device_json() + " }"), "organisation: missing");
  EXPECT_HAS(config_error(sys("{ \"cell\": \"2T2R\" }", org_json())),
             "device.operating_points: missing");
  EXPECT_HAS(config_error(sys("{ \"cell\": \"2T2R\", \"operating_points\": [] }", org_json())),
             "expected a list of 1..32");
  EXPECT_HAS(config_error(
                 sys("{ \"cell\": \"2T2R\", \"operating_points\": [ { \"name\": \"a\", "
                     "\"e_set_pj\": 1, \"e_reset_pj\": 1, \"e_read_pj\": 1, \"t_read_ns\": 1 } ] }",
                     org_json())),
             "operating_points[0].t_write_ns: missing");
}

TEST(Config, EnumsAndNames) {
  EXPECT_HAS(config_error(sys("{ \"cell\": \"3T3R\", \"operating_points\": [] }", org_json())),
             "device.cell: '3T3R' is not one of 1T1R, 2T2R");
  std::string two = device_json();
  two.replace(two.find("] }"), 3,
              ", { \"name\": \"op\", \"e_set_pj\": 1, \"e_reset_pj\": 1, "
              "\"e_read_pj\": 1, \"t_read_ns\": 1, \"t_write_ns\": 1 } ] }");
  EXPECT_HAS(config_error(sys(two, org_json())), "operating_points[1].name: duplicate");
  EXPECT_HAS(config_error(sys(device_json(), org_json(), ", \"op_point\": \"turbo\"")),
             "op_point: 'turbo' is not an operating point of device 't' (one of op)");
  EXPECT_HAS(
      config_error(sys(device_json(), org_json(", \"scheduler\": { \"policy\": \"lifo\" }"))),
      "organisation.scheduler.policy: 'lifo' is not one of fcfs, read_first");
  EXPECT_HAS(config_error(
                 sys(device_json("", ", \"write_verify\": { \"policy\": \"twice\" }"), org_json())),
             "device.write_verify.policy");
  EXPECT_HAS(
      config_error(
          sys(device_json(
                  "", ", \"write_verify\": { \"policy\": \"iterative\", \"max_iterations\": 0 }"),
              org_json())),
      "max_iterations: must be in [1, 64]");
  rramsim::SystemConfig c = make_config();
  EXPECT_THROW(rramsim::select_op_point(c, "nope"), ConfigError);
}

TEST(Config, NamesAndPolicyLimits) {
  std::string longname(40, 'x');
  std::string dev = device_json();
  dev.replace(dev.find("\"name\": \"op\""), 12, "\"name\": \"" + longname + "\"");
  EXPECT_HAS(config_error(sys(dev, org_json())),
             "operating_points[0].name: must be 1..31 characters");
  std::string dev2 = device_json();
  dev2.replace(dev2.find("\"name\": \"t\""), 11, "\"name\": \"" + std::string(70, 'd') + "\"");
  EXPECT_HAS(config_error(sys(dev2, org_json())), "device.name: longer than 63 characters");
  EXPECT_HAS(
      config_error(sys(device_json(), org_json(", \"scheduler\": { \"policy\": \"read_first\" }",
                                               {{"queue_depth", "1"}}))),
      "organisation.queue_depth");
  EXPECT_HAS(config_error(sys(device_json("", ", \"stuck_at\": { \"denstiy\": 0.1 }"), org_json())),
             "device.stuck_at.denstiy: unknown key");
}

TEST(Config, OrganisationShapeAndMapping) {
  EXPECT_HAS(config_error(sys(device_json(), org_json("", {{"banks_per_channel", "3"}}))),
             "organisation.banks_per_channel: 3 is not a power of two");
  EXPECT_HAS(config_error(sys(device_json(), org_json("", {{"bus_width_bits", "48"}}))),
             "bus_width_bits: 48 is not a power of two");
  EXPECT_HAS(
      config_error(
          sys(device_json(),
              org_json(
                  ", \"scheduler\": { \"policy\": \"read_first\", \"write_high_watermark\": 9 }"))),
      "scheduler.write_high_watermark: 9 is outside [2, 2]");
  // Capacity 2 KiB = 11 address bits: column 6, bank 1, row 4.
  const std::string good = R"(, "address_mapping": { "column": [0,1,2,3,4,5], "bank": [10],
      "row": [6,7,8,9] })";
  rramsim::SystemConfig c = make_config("", "", good);
  EXPECT_EQ(c.org.mapping.bits[static_cast<int>(rramsim::AddrField::Bank)][0], 10u);
  EXPECT_HAS(
      config_error(sys(
          device_json(),
          org_json(
              R"(, "address_mapping": { "column": [0,1,2,3,4,5], "bank": [6], "row": [7,8,9] })"))),
      "organisation.address_mapping.row: expected a list of 4 address bits");
  EXPECT_HAS(
      config_error(sys(
          device_json(),
          org_json(
              R"(, "address_mapping": { "column": [0,1,2,3,4,5], "bank": [5], "row": [6,7,8,9] })"))),
      "address_mapping.bank[0]: bit 5 already used by column");
  EXPECT_HAS(
      config_error(sys(
          device_json(),
          org_json(
              R"(, "address_mapping": { "column": [0,1,2,3,4,5], "bank": [11], "row": [6,7,8,9] })"))),
      "address_mapping.bank[0]: expected an address bit in [0, 10]");
  EXPECT_HAS(
      config_error(
          sys(device_json(),
              org_json(R"(, "address_mapping": { "column": [0,1,2,3,4,5], "row": [6,7,8,9] })"))),
      "address_mapping.bank: missing");
}

TEST(Config, SubFilesByRelativePath) {
  const std::string dir = RRAMSIM_BINARY_DIR "/test_config_tmp";
  std::string cmd = "mkdir -p " + dir + "/devices " + dir + "/systems";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  { std::ofstream(dir + "/devices/d.json") << device_json(", \"write_ber_10\": 2"); }
  {
    std::ofstream(dir + "/systems/s.json")
        << "{ \"device\": \"../devices/d.json\", \"organisation\": " << org_json() << " }";
  }
  {
    std::ofstream(dir + "/systems/missing.json")
        << "{ \"device\": \"../devices/nope.json\", \"organisation\": " << org_json() << " }";
  }
  try {
    rramsim::load_system_file(dir + "/systems/s.json");
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    // The error names the sub-file, not the system file.
    EXPECT_HAS(std::string(e.what()),
               "devices/d.json: operating_points[0].write_ber_10: 2 is outside [0, 0.5]");
  }
  try {
    rramsim::load_system_file(dir + "/systems/missing.json");
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_HAS(std::string(e.what()), "devices/nope.json: cannot open");
  }
  EXPECT_THROW(rramsim::load_system_file(dir + "/none.json"), ConfigError);
}

// A device file's "sources" (tag -> citation) and "provenance" (key path -> tag) are checked and
// then dropped: the simulation, the resolved config and its hash are those without them.
TEST(Config, SourcesAndProvenanceAreCheckedNotSimulated) {
  const std::string src =
      R"(, "sources": { "A": "Paper A, Fig. 2", "ILL": "illustrative: no source" })";
  auto dev = [&](const std::string& prov, const std::string& sources) {
    return device_json("", sources + ", \"provenance\": { " + prov + " }");
  };
  const std::string ok = dev(
      R"("operating_points.op.e_set_pj": "A", "operating_points.0.t_read_ns": "ILL",
         "operating_points": "ILL", "operating_points.*.e_read_pj": "A", "cell": "A")",
      src);
  rramsim::SystemConfig with = rramsim::load_system_string(sys(ok, org_json()), "sys.json", ".");
  rramsim::SystemConfig plain =
      rramsim::load_system_string(sys(device_json(), org_json()), "sys.json", ".");
  EXPECT_EQ(rramsim::config_to_json(with), rramsim::config_to_json(plain));
  EXPECT_EQ(rramsim::config_hash(with), rramsim::config_hash(plain));

  // A tag that is not a source; a path that names nothing (a typo, an operating point that is
  // not there, a key below a value); no sources at all.
  EXPECT_HAS(config_error(sys(dev(R"("operating_points.op.e_set_pj": "B")", src), org_json())),
             "sys.json: device.provenance.operating_points.op.e_set_pj: 'B' is not one of A, ILL");
  EXPECT_HAS(config_error(sys(dev(R"("operating_points.op.e_set_p": "A")", src), org_json())),
             "device.provenance.operating_points.op.e_set_p: unknown key");
  EXPECT_HAS(config_error(sys(dev(R"("operating_points.nop.e_set_pj": "A")", src), org_json())),
             "device.provenance.operating_points.nop.e_set_pj: unknown key");
  EXPECT_HAS(config_error(sys(dev(R"("operating_points.3": "A")", src), org_json())),
             "device.provenance.operating_points.3: unknown key");
  EXPECT_HAS(config_error(sys(dev(R"("operating_points.*.e_red_pj": "A")", src), org_json())),
             "device.provenance.operating_points.*.e_red_pj: unknown key");
  EXPECT_HAS(config_error(sys(dev(R"("cell.x": "A")", src), org_json())),
             "device.provenance.cell.x: unknown key");
  EXPECT_HAS(config_error(sys(dev(R"("sources": "A")", src), org_json())),
             "device.provenance.sources: unknown key");
  EXPECT_HAS(config_error(sys(dev(R"("cell": "A")", ""), org_json())),
             "device.provenance.cell: 'A' is not one of the tags of \"sources\" (none given)");
  // Wrong types.
  EXPECT_HAS(config_error(sys(dev(R"("cell": 1)", src), org_json())),
             "device.provenance.cell: expected a string");
  EXPECT_HAS(config_error(sys(dev("", R"(, "sources": { "A": 1 })"), org_json())),
             "device.sources.A: expected a string");
  EXPECT_HAS(config_error(sys(dev("", R"(, "sources": { "A": "" })"), org_json())),
             "device.sources.A: expected a non-empty string (a citation)");
  EXPECT_HAS(config_error(sys(dev("", R"(, "sources": [ "A" ])"), org_json())),
             "device.sources: expected a JSON object");
}

namespace {
// The key paths of every value of a device tree (operating points by name), "name" and
// "description" keys aside.
void value_paths(const json_t* j, const std::string& at, std::vector<std::string>* out) {
  if (json_is_object(j)) {
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(j), k, v) {
      const std::string key = k;
      if (key == "name" || key == "description" ||
          (at.empty() && (key == "sources" || key == "provenance")))
        continue;
      value_paths(v, at.empty() ? key : at + "." + key, out);
    }
  } else if (json_is_array(j)) {
    for (size_t i = 0; i < json_array_size(j); ++i) {
      const json_t* e = json_array_get(j, i);
      const char* nm = json_string_value(json_object_get(e, "name"));
      value_paths(e, at + "." + (nm ? nm : std::to_string(i)), out);
    }
  } else {
    out->push_back(at);
  }
}
}  // namespace

// The HfO2 presets say where each value comes from: every value has a provenance entry (its own
// or a block's it lies in), and the two numbers that published abstracts give (the ultra-low
// point's BER and its ~30x energy saving) are tagged with a citation, not as illustrative.
TEST(Config, HfO2PresetsGiveASourcePerValue) {
  for (const char* f : {"hfo2_2t2r.json", "hfo2_2t2r_array.json"}) {
    const std::string path = std::string(RRAMSIM_SOURCE_DIR "/configs/devices/") + f;
    json_error_t err;
    json_t* j = json_load_file(path.c_str(), 0, &err);
    ASSERT_NE(j, nullptr) << path << ": " << err.text;
    const json_t* prov = json_object_get(j, "provenance");
    ASSERT_TRUE(json_is_object(prov)) << f;
    std::vector<std::string> paths;
    value_paths(j, "", &paths);
    EXPECT_GT(paths.size(), 20u) << f;
    // The most specific entry: the path, then "*" for its operating point, then its blocks'.
    auto tag_of = [&](std::string p) -> std::string {
      const std::string ops = "operating_points.";
      while (true) {
        std::string any = p;
        if (any.rfind(ops, 0) == 0 && any.size() > ops.size())
          any.replace(ops.size(), any.find('.', ops.size()) - ops.size(), "*");
        for (const std::string& q : {p, any})
          if (const char* t = json_string_value(json_object_get(prov, q.c_str()))) return t;
        size_t dot = p.rfind('.');
        if (dot == std::string::npos) return "";
        p.resize(dot);
      }
    };
    for (const std::string& p : paths)
      EXPECT_NE(tag_of(p), "") << f << ": " << p << " has no source";
    EXPECT_EQ(tag_of("operating_points.ultra_low.write_ber_01").rfind("ILL", 0), std::string::npos)
        << f;
    EXPECT_EQ(tag_of("endurance.median_writes").rfind("ILL", 0), std::string::npos) << f;
    json_decref(j);
    // And the file loads (its sources and provenance check out).
    EXPECT_NO_THROW(rramsim::load_device_file(path)) << f;
  }
}

#include "rramsim/config_experiment.hpp"

namespace {
// Loads an experiment file written with `text`; returns the error message ("(no error)" if none).
std::string experiment_error(const std::string& text, rramsim::Experiment* out = nullptr) {
  const std::string dir = RRAMSIM_BINARY_DIR "/test_config_tmp";
  std::string cmd = "mkdir -p " + dir;
  if (std::system(cmd.c_str()) != 0) return "(mkdir failed)";
  const std::string path = dir + "/exp.json";
  { std::ofstream(path) << text; }
  try {
    rramsim::Experiment e = rramsim::load_experiment(path);
    if (out) *out = e;
  } catch (const rramsim::Error& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST(Config, ExperimentFiles) {
  rramsim::Experiment e;
  ASSERT_EQ(experiment_error("{\"systems\": \"s.json\", \"models\": [\"a.bnn\", \"/b.bnn\"], "
                             "\"seeds\": [3, 4], \"op_points\": \"all\", \"rram_layers\": [0, 2]}",
                             &e),
            "(no error)");
  EXPECT_EQ(e.systems.size(), 1u);
  EXPECT_HAS(e.systems[0], "test_config_tmp/s.json");  // relative to the experiment file
  EXPECT_EQ(e.models[1], "/b.bnn");
  EXPECT_EQ(e.seeds, (std::vector<uint64_t>{3, 4}));
  EXPECT_TRUE(e.all_op_points);
  EXPECT_EQ(e.rram_layer_mask, 5u);
  EXPECT_EQ(e.mode, "functional");
  // Unknown keys name the file and the key, and list the known ones.
  EXPECT_HAS(experiment_error("{\"systems\": \"s\", \"models\": \"m\", \"sede\": 1}"),
             "exp.json: sede: unknown key (known: name,");
  EXPECT_HAS(experiment_error("{\"models\": \"m\"}"), "exp.json: systems: required");
  EXPECT_HAS(experiment_error("{\"systems\": \"s\", \"models\": \"m\", \"mode\": \"fast\"}"),
             "exp.json: mode: expected \"functional\" or \"timed\"");
  EXPECT_HAS(experiment_error("{\"systems\": \"s\", \"models\": \"m\", \"seeds\": []}"),
             "exp.json: seeds: expected a non-empty list of integers");
  EXPECT_HAS(experiment_error("{\"systems\": \"s\", \"models\": \"m\", \"threads\": 65}"),
             "exp.json: threads: expected an integer in [1, 64]");
  EXPECT_HAS(experiment_error("{\"systems\": [\"s\", 3], \"models\": \"m\"}"),
             "exp.json: systems[1]: expected a string");
  EXPECT_HAS(experiment_error("{\"systems\": \"s\",\n \"models\": }"), "exp.json:2:");
  EXPECT_THROW(rramsim::load_experiment(RRAMSIM_BINARY_DIR "/no/such/exp.json"), rramsim::Error);
}

// Overrides by JSON path (--set, an experiment's "vary") copy only the objects on their path: the
// parsed files are cached and shared by every load of a grid, so no load's values may reach
// another load, the file's own values or an override used again.
TEST(Config, OverridesStayInTheirOwnLoad) {
  const std::string small = RRAMSIM_SOURCE_DIR "/configs/systems/small.json";
  auto ov = [](const char* arg) { return rramsim::parse_override(arg); };
  const rramsim::SystemConfig plain = rramsim::load_system_file(small);
  ASSERT_EQ(std::string(plain.device.points[0].name), "nominal");
  const rramsim::SystemConfig a = rramsim::load_system_file(
      small,
      {ov("organisation.queue_depth=4"), ov("device.operating_points.nominal.write_ber_01=0.25")});
  EXPECT_EQ(a.org.queue_depth, 4u);
  EXPECT_EQ(a.device.points[0].write_ber_01, 0.25);
  const rramsim::SystemConfig b = rramsim::load_system_file(small, {ov("organisation.rows=256")});
  EXPECT_EQ(b.org.rows, 256u);
  EXPECT_EQ(b.org.queue_depth, plain.org.queue_depth);
  EXPECT_EQ(b.device.points[0].write_ber_01, plain.device.points[0].write_ber_01);
  // The file's own value set again: the very config of the file.
  EXPECT_EQ(rramsim::config_hash(rramsim::load_system_file(small, {ov("organisation.rows=512")})),
            rramsim::config_hash(plain));
  // An override under a value an earlier override put in place changes this load's copy only.
  const rramsim::Override sched = ov("organisation.scheduler={\"policy\": \"fcfs\"}");
  EXPECT_EQ(
      rramsim::load_system_file(small, {sched, ov("organisation.scheduler.policy=read_first")})
          .org.scheduler,
      rramsim::Scheduler::ReadFirst);
  EXPECT_EQ(rramsim::load_system_file(small, {sched}).org.scheduler, rramsim::Scheduler::Fcfs);
  EXPECT_EQ(sched.text, "{\"policy\":\"fcfs\"}");
  EXPECT_EQ(rramsim::config_hash(rramsim::load_system_file(small)), rramsim::config_hash(plain));
}

#include <jansson.h>

#include "rramsim/stats.hpp"

TEST(StatsFile, SelfDescribingJsonWrittenAtomically) {
  rramsim::SystemConfig cfg = make_config();
  rramsim::Stats s;
  s.banks.resize(2);
  s.reads = 3;
  s.end_ps = 1000;
  s.read_latency.add(25000);
  rramsim::RunInfo run;
  run.tool_version = "test";
  run.traffic = "random";
  run.path = "b_transport";
  run.requests = 3;
  const std::string path = RRAMSIM_BINARY_DIR "/test_stats_file.json";
  ASSERT_NO_THROW(rramsim::write_file_atomic(path, rramsim::stats_to_json(cfg, s, run)));
  json_error_t err;
  json_t* j = json_load_file(path.c_str(), 0, &err);
  ASSERT_NE(j, nullptr) << err.text;
  // Resolved config, seed and version at the top; units on every figure.
  const char* first = nullptr;
  void* it = json_object_iter(j);
  first = json_object_iter_key(it);
  EXPECT_STREQ(first, "tool");
  EXPECT_EQ(json_integer_value(json_object_get(j, "seed")), 7);
  EXPECT_STREQ(json_string_value(json_object_get(j, "version")), "test");
  json_t* cfgj = json_object_get(j, "config");
  EXPECT_STREQ(json_string_value(json_object_get(json_object_get(cfgj, "device"), "cell")), "2T2R");
  json_t* p50 = json_object_get(
      json_object_get(json_object_get(json_object_get(j, "stats"), "latency"), "read"), "p50");
  EXPECT_STREQ(json_string_value(json_object_get(p50, "unit")), "ns");
  EXPECT_NEAR(json_real_value(json_object_get(p50, "value")), 25.0, 25.0 / 16);
  EXPECT_EQ(json_array_size(json_object_get(json_object_get(j, "stats"), "banks")), 2u);
  json_decref(j);
  // A path that cannot be written: an error message, and nothing left behind.
  try {
    rramsim::write_file_atomic(RRAMSIM_BINARY_DIR "/no/such/dir/x.json", "{}");
    FAIL() << "expected an error";
  } catch (const rramsim::Error& ex) {
    EXPECT_HAS(std::string(ex.what()), "no/such/dir/x.json");
  }
}
