// cmd_run.cpp — `rramsim run`: a BNN programmed into the simulated RRAM and run over a data set.
#include <sys/stat.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include <jansson.h>

#include "bnn/durable.h"
#include "output.h"
#include "cli.h"
#include "commands.h"
#include "rramsim/point.hpp"
#include "sim_cli.hpp"
#include "rramsim/recording.hpp"
#include "rramsim/stats.hpp"
#include "rrtrace/trace.h"

namespace {

const char* const kCmd = "run";

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: rramsim run --system FILE --model FILE [options]\n\n"
      "Programs the model's weights into the simulated RRAM memory system (write errors,\n"
      "write-verify, energy, time, wear), then runs inference with every weight read a TLM-2.0\n"
      "transaction through the controller (read errors, energy, latency). Prints a summary and\n"
      "the same model's clean accuracy (error-free host memory) for comparison.\n\n"
      "  --system FILE       system config (configs/systems/*.json)                 (required)\n"
      "  --set PATH=VALUE    override a system key by JSON path (repeatable), e.g.\n"
      "                      organisation.queue_depth=8 (configs/README.md)\n"
      "  --op-point NAME     operating point of the device (default: the file's op_point)\n"
      "  --model FILE        model file (rramsim model info FILE shows it)           (required)\n"
      "  --data SET          fashion-mnist (default), mnist, cifar10 or a directory; test split\n"
      "  --limit N           first N test images (default: all; --images N: deprecated spelling)\n"
      "  --weight-reuse B    images per weight fetch, 1..65536 (default 1: every image reads\n"
      "                      every weight row, as an in-memory accelerator does)\n"
      "  --rram-layers L     weight layers placed in RRAM: all (default) or a list like 0,1\n"
      "                      (the others live in error-free SRAM)\n"
      "  --seed S            seed of all cell errors (default: the system file's seed)\n"
      "  --error-map FILE    measured error map CSV (traces/README.md): its stuck-at-0/1 cells\n"
      "                      and per-cell read flip rates are the device's (replaces the system\n"
      "                      file's error_map); cells outside the memory are errors (FILE:LINE)\n"
      "  --threads T         engine compute threads, 1..64 (default: online CPUs, at most 8;\n"
      "                      reads stay on the SC thread; the result does not depend on it)\n"
      "  --record-faults F   record every injected fault as a fault-trace CSV (.csv[.gz]) with\n"
      "                      layer/neuron/weight and the model's identity (rramsim faults replay)\n"
      "  --record-accesses F record every memory access (.stl/.rstl/.rrt[.gz])\n"
      "  --predictions FILE  write one prediction per image, one per line\n"
      "  --out DIR           write DIR/summary.json and DIR/stats.json (atomically)\n"
      "  --quiet             no progress bar (--no-progress: deprecated spelling)\n");
}

// Runs fn; an Error it throws comes back with "<what>: " in front (the option it concerns).
template <class F>
void prefixed(const char* what, F&& fn) {
  try {
    fn();
  } catch (const rramsim::Error& e) {
    throw rramsim::Error(std::string(what) + ": " + e.what());
  }
}

}  // namespace

extern "C" int cli_cmd_run(int argc, char** argv) {
  rramsim::PointSpec s;
  s.have_seed = false;
  std::string out_dir, rec_flt, rec_acc, preds_path, error_map;
  bool quiet = false;
  s.threads = cli_default_threads();
  std::vector<std::string> sets;  // --set PATH=VALUE
  auto option = [&](const char* a, const char* val) -> cli_opt_result {
    bool ok = true;
    if (!a) return CLI_OPT_UNKNOWN; /* no positional arguments */
    if (!std::strcmp(a, "--quiet"))
      quiet = true;
    else if (!std::strcmp(a, "--system"))
      s.system_path = val;
    else if (!std::strcmp(a, "--set"))
      sets.push_back(val);
    else if (!std::strcmp(a, "--op-point"))
      s.op_point = val;
    else if (!std::strcmp(a, "--model"))
      s.model_path = val;
    else if (!std::strcmp(a, "--data"))
      s.data = val;
    else if (!std::strcmp(a, "--out"))
      out_dir = val;
    else if (!std::strcmp(a, "--record-faults"))
      rec_flt = val;
    else if (!std::strcmp(a, "--predictions"))
      preds_path = val;
    else if (!std::strcmp(a, "--record-accesses"))
      rec_acc = val;
    else if (!std::strcmp(a, "--error-map"))
      error_map = val;
    else if (!std::strcmp(a, "--seed")) {
      ok = cli_parse_u64(kCmd, a, val, 0, INT64_MAX, &s.seed);
      s.have_seed = true;
    } else
      return rrsimcli::point_option(kCmd, a, val, &s.images, &s.weight_reuse, &s.threads,
                                    &s.rram_layer_mask);
    return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
  };
  static const cli_option opts[] = {
      {"system", 1, nullptr, nullptr},      {"op-point", 1, nullptr, nullptr},
      {"model", 1, nullptr, nullptr},       {"data", 1, nullptr, nullptr},
      {"out", 1, nullptr, nullptr},         {"record-faults", 1, nullptr, nullptr},
      {"predictions", 1, nullptr, nullptr}, {"record-accesses", 1, nullptr, nullptr},
      {"error-map", 1, nullptr, nullptr},   {"limit", 1, nullptr, nullptr},
      {"images", 1, nullptr, "limit"},      {"weight-reuse", 1, nullptr, nullptr},
      {"seed", 1, nullptr, nullptr},        {"threads", 1, nullptr, nullptr},
      {"rram-layers", 1, nullptr, nullptr}, {"quiet", 0, nullptr, nullptr},
      {"no-progress", 0, nullptr, "quiet"}, {"set", 1, nullptr, nullptr},
      {nullptr, 0, nullptr, nullptr}};
  int rc = CLI_EXIT_OK;
  if (!cli_parse_options_with(kCmd, argc, argv, 1, opts, option, usage, &rc)) return rc;
  if (s.system_path.empty()) return cli_usage_error(kCmd, "--system FILE is required");
  if (s.model_path.empty()) return cli_usage_error(kCmd, "--model FILE is required");
  // The output discipline (output.h): no output may be an input (run --predictions MODEL.bnn
  // overwrote the model), and a failed run removes what it created.
  if (!cli_input_note(kCmd, "--system", s.system_path.c_str()) ||
      !cli_input_note(kCmd, "--model", s.model_path.c_str()) ||
      !cli_input_note(kCmd, "--error-map", error_map.c_str()) ||
      !cli_output_claim(kCmd, "--out", out_dir.c_str()) ||
      (!out_dir.empty() && (!cli_output_claim(kCmd, "--out", (out_dir + "/summary.json").c_str()) ||
                            !cli_output_claim(kCmd, "--out", (out_dir + "/stats.json").c_str()))) ||
      !cli_output_claim(kCmd, "--predictions", preds_path.c_str()) ||
      !cli_output_claim(kCmd, "--record-faults", rec_flt.c_str()) ||
      (!rec_flt.empty() &&
       !cli_output_claim(kCmd, "--record-faults", (rec_flt + RRT_SIDECAR_SUFFIX).c_str())) ||
      !cli_output_claim(kCmd, "--record-accesses", rec_acc.c_str()))
    return CLI_EXIT_FAIL;

  bnn_dataset ds{};
  try {
    rramsim::SystemConfig cfg =
        rramsim::load_system(s.system_path, s.op_point, s.have_seed, s.seed, sets);
    if (!error_map.empty()) cfg.error_map = rramsim::load_error_map(error_map, cfg.org);
    rramsim::ModelPtr m = rramsim::load_model(s.model_path);
    rramsim::open_data(&ds, s.data, s.images, m.get(), s.model_path);
    rramsim::PlacementParams pp;
    pp.rram_layer_mask = s.rram_layer_mask;
    // Capacity check before any work; the locator of fault records uses the same placement.
    const rramsim::Placement placement = rramsim::place_model(m.get(), s.model_path, cfg, pp);
    // The output directory only once every input is known to be good: a failed run leaves nothing.
    if (!out_dir.empty() && !rramsim::make_directories(out_dir))
      throw rramsim::Error("--out " + out_dir +
                           ": cannot create directory: " + std::strerror(errno));
    rramsim::RecordParams rp;
    rp.tool = std::string("rramsim ") + cli_version();
    rramsim::AccessRecorder acc_rec;
    rramsim::FaultRecorder flt_rec;
    if (!rec_acc.empty()) {
      prefixed("--record-accesses", [&] { acc_rec.open(rec_acc, cfg, rp); });
      s.access_observer = acc_rec.observer();
    }
    if (!rec_flt.empty()) {
      rp.model_id = rramsim::model_file_id(s.model_path);
      prefixed("--record-faults", [&] { flt_rec.open(rec_flt, cfg, rp); });
      flt_rec.set_locator(
          [](void* ud, uint64_t addr, unsigned bit, int32_t* layer, int64_t* neuron,
             int64_t* weight) {
            return rramsim::locate_rram_bit(*static_cast<const rramsim::Placement*>(ud), addr, bit,
                                            layer, neuron, weight);
          },
          const_cast<rramsim::Placement*>(&placement));
      s.fault_observer = flt_rec.observer();
    }

    std::vector<uint8_t> clean_pred;
    const double clean = rramsim::clean_accuracy(m.get(), ds, s.threads, &clean_pred);
    cli_progress prog;
    cli_progress_start(&prog, "run", ds.n, !quiet);
    rramsim::WorkloadResult wr;
    const double t0 = cli_now();
    rramsim::PointResult r = rramsim::run_timed(
        s, cfg, m.get(), ds, clean, &wr,
        [&](uint64_t done) { cli_progress_update(&prog, done, "img", nullptr); });
    const double wall = cli_now() - t0;
    cli_progress_finish(&prog, "img", nullptr);
    if (!rec_acc.empty()) prefixed("--record-accesses", [&] { acc_rec.close(); });
    if (!rec_flt.empty()) prefixed("--record-faults", [&] { flt_rec.close(); });

    uint64_t agree = 0;
    for (uint32_t i = 0; i < ds.n; ++i) agree += wr.pred[i] == clean_pred[i];
    const rramsim::Stats& st = wr.total;
    const rramsim::ErrorCounters& e = st.err;
    const double infer_ps = static_cast<double>(wr.infer_end_ps - wr.infer_start_ps);
    auto rate = [](uint64_t k, uint64_t n) { return n ? static_cast<double>(k) / n : 0.0; };

    // ---- console summary
    std::printf("system:       %s (%s), operating point %s, seed %" PRIu64 "\n", cfg.name.c_str(),
                cfg.source.c_str(), cfg.op().name, cfg.seed);
    std::printf("model:        %s; %" PRIu64 " weight bytes in RRAM, %" PRIu64 " in SRAM\n",
                s.model_path.c_str(), wr.placement.rram_bytes, wr.placement.sram_bytes);
    std::printf("data:         %s, %u images, weight reuse %u\n", ds.name, ds.n, s.weight_reuse);
    if (cfg.error_map)
      std::printf("error map:    %s: %" PRIu64 " stuck-at-0, %" PRIu64 " stuck-at-1, %" PRIu64
                  " flip-rate cells\n",
                  cfg.error_map->path.c_str(), cfg.error_map->stuck0, cfg.error_map->stuck1,
                  cfg.error_map->flip);
    std::printf(
        "accuracy:     %.2f %% on RRAM, %.2f %% clean (host memory); %.2f %% of predictions "
        "agree\n",
        100 * r.accuracy, 100 * clean, 100 * rate(agree, ds.n));
    std::printf("bit errors:   write 0->1 %" PRIu64 ", 1->0 %" PRIu64 " of %" PRIu64
                " bits written; read 0->1 %" PRIu64 ", 1->0 %" PRIu64 " of %" PRIu64
                " bits read; stuck-at %" PRIu64 "; endurance %" PRIu64 "\n",
                e.write_err01, e.write_err10, r.bits_written, e.read_err01, e.read_err10,
                r.bits_read, e.stuck_at, e.endurance);
    std::printf("programming:  %.3f uJ, %.3f us (write-verify rounds %" PRIu64 ")\n",
                r.programming_energy_pj * 1e-6, r.programming_time_ns * 1e-3, e.verify_rounds);
    std::printf("inference:    %.3f nJ/image, %.3f us/image latency, %.0f images/s simulated\n",
                r.energy_per_image_pj * 1e-3, r.latency_per_image_ns * 1e-3,
                r.throughput_images_per_s);
    if (cfg.device.cost_model == RR_COST_ARRAY) {
      const rr_array_params& a = cfg.device.array;
      const rramsim::Energy en = rramsim::total_energy(st, cfg);
      std::printf(
          "array:        cost model %d nm %s, %ux%u crossbars, mux %d: read %.2f ns, write "
          "%.2f ns; whole run %.3f uJ = array %.3f + periphery %.3f + I/O %.3f + static "
          "%.3f\n",
          a.node_nm, rr_roadmap_name(a.roadmap), cfg.org.rows, cfg.org.columns, a.mux,
          cfg.op().t_read_ns, cfg.op().t_write_ns, en.total() * 1e-6, en.array_part() * 1e-6,
          en.periphery_part() * 1e-6, en.io * 1e-6, en.static_ * 1e-6);
    }
    double umin = 1, umax = 0, usum = 0;
    for (size_t b = 0; b < st.banks.size(); ++b) {
      double u =
          infer_ps > 0 ? (st.banks[b].busy_ps - wr.programming.banks[b].busy_ps) / infer_ps : 0;
      umin = std::min(umin, u), umax = std::max(umax, u), usum += u;
    }
    std::printf("banks:        %zu, inference utilisation mean %.1f %%, min %.1f %%, max %.1f %%\n",
                st.banks.size(), 100 * usum / st.banks.size(), 100 * umin, 100 * umax);
    if (!preds_path.empty()) {
      std::string t;
      for (uint8_t p : wr.pred) t += std::to_string(p) + "\n";
      rramsim::write_file_atomic(preds_path, t);
    }
    if (!rec_flt.empty())
      std::printf("faults:       %" PRIu64 " recorded in %s\n", flt_rec.records(), rec_flt.c_str());
    if (!rec_acc.empty())
      std::printf("accesses:     %" PRIu64 " recorded in %s\n", acc_rec.records(), rec_acc.c_str());
    std::printf("wall time:    %.2f s (%.0f images/s simulated per wall second)\n", wall,
                wall > 0 ? ds.n / wall : 0.0);

    if (!out_dir.empty()) {
      rramsim::RunSummaryInfo si;
      si.tool_version = cli_version();
      si.model_path = s.model_path;
      const char* prov = bnn_model_provenance(m.get());
      si.model_provenance = prov ? prov : "";
      si.threads = s.threads;
      si.wall_seconds = wall;
      si.agreement_with_clean = rate(agree, ds.n);
      const std::string summary = rramsim::run_summary_to_json(cfg, r, wr, si);

      rramsim::RunInfo ri;
      ri.tool_version = cli_version();
      ri.traffic = "BNN " + s.model_path + " on " + ds.name + ", weight reuse " +
                   std::to_string(s.weight_reuse);
      ri.path = "b_transport";
      ri.wall_seconds = wall;
      ri.requests = st.reads + st.writes;
      rramsim::write_file_atomic(out_dir + "/summary.json", summary);
      rramsim::write_file_atomic(out_dir + "/stats.json", rramsim::stats_to_json(cfg, st, ri));
      std::printf("wrote:        %s/summary.json, %s/stats.json\n", out_dir.c_str(),
                  out_dir.c_str());
    }
  } catch (const std::exception& ex) {
    bnn_dataset_free(&ds);
    return cli_error(kCmd, "%s", ex.what());
  }
  bnn_dataset_free(&ds);
  return CLI_EXIT_OK;
}
