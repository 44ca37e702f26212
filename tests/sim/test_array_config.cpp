// test_array_config.cpp — the device file's cost_model "array": the system loader derives every
// operating point from the array cost model on the organisation's crossbar, the controller and
// the stats use those figures, table mode is untouched, bad input names file and key.
#include <gtest/gtest.h>

#include <string>

#include "rramsim/array_cost.h"
#include "rramsim/config.hpp"
#include "rramsim/controller.hpp"
#include "rramsim/stats.hpp"

namespace {

std::string array_device(const std::string& array_block, const std::string& extra_op = "") {
  return R"({ "name": "arr", "cell": "2T2R", "cost_model": "array", "array": )" + array_block +
         R"(, "operating_points": [ { "name": "nom", "prog_current_ua": 100, "prog_voltage_v": 1.2,
         "prog_pulse_ns": 20, "read_voltage_v": 0.2)" +
         extra_op + " } ] }";
}

std::string system_json(const std::string& dev, unsigned rows, unsigned cols) {
  return R"({ "device": )" + dev + R"(, "organisation": { "channels": 1, "banks_per_channel": 2,
      "crossbars_per_bank": 4, "rows": )" +
         std::to_string(rows) + R"(, "columns": )" + std::to_string(cols) + " } }";
}

const char* kArray = R"({ "node_nm": 45, "roadmap": "LSTP", "mux": 4, "r_on_ohm": 5000,
                          "r_off_ohm": 100000 })";

std::string load_error(const std::string& json) {
  try {
    rramsim::load_system_string(json, "sys.json", ".");
  } catch (const rramsim::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ArrayConfig, OperatingPointsFollowTheCrossbar) {
  rramsim::SystemConfig c =
      rramsim::load_system_string(system_json(array_device(kArray), 256, 256), "sys.json", ".");
  ASSERT_EQ(c.device.cost_model, RR_COST_ARRAY);
  // Same figures as the model on that geometry: 2T2R → 512 devices, 4 columns per SA.
  rr_array_params p = c.device.array;
  p.cell = RR_ARRAY_2T2R;
  p.rows = 256;
  p.cols = 512;
  p.subarrays_per_bank = 4;
  p.set_current_ua = p.reset_current_ua = 100;
  p.set_voltage_v = p.reset_voltage_v = 1.2;
  p.set_pulse_ns = p.reset_pulse_ns = 20;
  p.set_energy_pj = p.reset_energy_pj = 0;
  p.read_voltage_v = 0.2;
  rr_array_access_costs a;
  ASSERT_EQ(rr_array_access_eval(&p, 256, &a), BNN_OK);
  EXPECT_EQ(a.rounds, 4);  // 64 sense amplifiers, 256-bit rows
  EXPECT_DOUBLE_EQ(c.op().t_read_ns, a.t_read_ns);
  EXPECT_DOUBLE_EQ(c.op().t_write_ns, a.t_write_ns);
  EXPECT_DOUBLE_EQ(c.op().e_set_pj, a.e_set_bit_pj);
  EXPECT_DOUBLE_EQ(c.op().e_periph_read_pj, a.e_periph_read_pj);
  EXPECT_DOUBLE_EQ(c.op().e_io_pj, a.e_io_bit_pj);

  // A larger crossbar: slower and costlier per access (the sweep an architect came to make).
  rramsim::SystemConfig big =
      rramsim::load_system_string(system_json(array_device(kArray), 1024, 1024), "sys.json", ".");
  EXPECT_GT(big.op().t_read_ns, c.op().t_read_ns);
  EXPECT_GT(big.op().e_periph_read_pj, c.op().e_periph_read_pj);
  EXPECT_GT(big.op().e_set_pj, c.op().e_set_pj);  // longer bitlines to charge
}

TEST(ArrayConfig, ControllerAndStatsUseTheDerivedFigures) {
  rramsim::SystemConfig c =
      rramsim::load_system_string(system_json(array_device(kArray), 256, 256), "sys.json", ".");
  rramsim::Controller ctl(c);
  uint8_t buf[32] = {0xA5};
  rramsim::Controller::Result w = ctl.access(rramsim::Cmd::Write, 0, buf, 32, 0);
  rramsim::Controller::Result r = ctl.access(rramsim::Cmd::Read, 0, buf, 32, w.done_ps + 1000000);
  ASSERT_TRUE(w.ok && r.ok);
  // The array part of each access is the derived latency (bus and controller add to it).
  EXPECT_GE(static_cast<double>(w.done_ps), c.op().t_write_ns * 1e3);
  EXPECT_GE(static_cast<double>(r.done_ps - (w.done_ps + 1000000)), c.op().t_read_ns * 1e3);
  const rramsim::Energy e = rramsim::total_energy(ctl.stats(), c);
  EXPECT_NEAR(e.io, 2 * 256 * c.op().e_io_pj, 1e-9);  // 256 bits written, 256 read
  EXPECT_NEAR(e.periph_read, c.op().e_periph_read_pj, 1e-9);
  EXPECT_NEAR(e.array_part() + e.periphery_part() + e.io, e.dynamic(), 1e-9);
  const std::string js = rramsim::stats_to_json(c, ctl.stats(), rramsim::RunInfo{});
  EXPECT_NE(js.find("\"by_part\""), std::string::npos);
  EXPECT_NE(js.find("\"cost_model\": \"array\""), std::string::npos);
}

TEST(ArrayConfig, TableModeWritesNoArrayKeys) {
  rramsim::SystemConfig c =
      rramsim::load_system_file(RRAMSIM_SOURCE_DIR "/configs/systems/small.json");
  EXPECT_EQ(c.device.cost_model, RR_COST_TABLE);
  EXPECT_EQ(c.op().e_io_pj, 0.0);
  const std::string js = rramsim::config_to_json(c);
  EXPECT_EQ(js.find("cost_model"), std::string::npos);
  EXPECT_EQ(js.find("e_io_pj"), std::string::npos);
  rramsim::SystemConfig a =
      rramsim::load_system_file(RRAMSIM_SOURCE_DIR "/configs/systems/small_array.json");
  EXPECT_EQ(a.device.cost_model, RR_COST_ARRAY);
  EXPECT_GT(a.op().t_read_ns, 0);
}

TEST(ArrayConfig, BadInputNamesFileAndKey) {
  EXPECT_EQ(load_error(system_json(array_device(R"({ "r_on_ohm": -5 })"), 256, 256)),
            "sys.json: device.array.r_on_ohm: -5 is outside the accepted range (0, 1e12] ohm");
  EXPECT_EQ(
      load_error(system_json(array_device(R"({ "r_on_ohm": 1e5, "r_off_ohm": 1e4 })"), 256, 256)),
      "sys.json: device.array.r_off_ohm: 10000 is outside the accepted range (r_on_ohm = 100000, "
      "1e13] ohm (the HRS must be above the LRS)");
  EXPECT_EQ(
      load_error(system_json(array_device(R"({ "node_nm": 28 })"), 256, 256)),
      "sys.json: device.array.node_nm: 28 is not in the technology tables (22, 32, 45, 65 nm)");
  EXPECT_EQ(load_error(system_json(array_device(R"({ "roadmap": "LP" })"), 256, 256)),
            "sys.json: device.array.roadmap: 'LP' is not one of HP, LSTP");
  EXPECT_EQ(load_error(system_json(array_device(kArray, ", \"t_read_ns\": 5"), 256, 256)),
            "sys.json: device.operating_points[0].t_read_ns: derived by the array cost model "
            "(cost_model \"array\"); remove it, or use cost_model \"table\" for measured figures");
  const std::string mux = load_error(system_json(array_device(R"({ "mux": 3 })"), 256, 256));
  EXPECT_NE(mux.find("sys.json: device: array.mux: 3 does not divide cols (512)"),
            std::string::npos)
      << mux;
  EXPECT_NE(mux.find("(crossbar of 256 rows x 256 columns from the organisation)"),
            std::string::npos)
      << mux;
  EXPECT_EQ(load_error(R"({ "device": { "name": "d", "cell": "1T1R", "cost_model": "nvsim",
      "operating_points": [] }, "organisation": {} })"),
            "sys.json: device.cost_model: 'nvsim' is not one of table, array");
  EXPECT_EQ(load_error(R"({ "device": { "name": "d", "cell": "1T1R", "cost_model": "array",
      "operating_points": [] }, "organisation": {} })"),
            "sys.json: device.array: missing (cost_model \"array\" needs the technology and cell "
            "electrics)");
}
