// cmd_faults.cpp — `rramsim faults replay|analyze`: a recorded fault trace re-applied to the model.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bet/stats.h"
#include "output.h"
#include "cli.h"
#include "commands.h"
#include "rramsim/point.hpp"
#include "sim_cli.hpp"
#include "rramsim/fault_replay.hpp"
#include "rramsim/stats.hpp"

namespace {

const char* const kCmd = "faults";

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: rramsim faults replay  --model FILE --faults FILE --system FILE [options]\n"
      "       rramsim faults analyze --model FILE --faults FILE --system FILE [options]\n\n"
      "replay re-applies exactly the faults of a trace recorded by `rramsim run --record-faults`:\n"
      "persistent ones (write, stuck-at, endurance) to the stored weights, read faults to the\n"
      "reads they hit (by read index, counted as the workload bridge issues reads), and prints "
      "the\n"
      "accuracy; its predictions equal the recorded run's image by image when --system,\n"
      "--rram-layers, --weight-reuse, --data and --limit are the recorded run's.\n"
      "analyze measures accuracy lost per weight layer (that layer's faults alone; all but that\n"
      "layer's) and per neuron (the --neurons neurons with most faults, each alone: accuracy "
      "lost,\n"
      "predictions changed, and the BET-margin vulnerability from bnn_model_preact with the\n"
      "Spearman rank correlations between them), prints tables and with --out DIR writes\n"
      "layers.csv, neurons.csv and neurons.png/.svg (gnuplot).\n"
      "A fault file recorded for another model (model_id = CRC-32 of the model file) is refused.\n"
      "A measured error map (--error-map, or the system file's error_map) is applied as the\n"
      "device's: stuck-at cells under the weights override them, flip-rate cells flip reads as "
      "the\n"
      "simulator draws them (same --seed); analyze attributes the map's faults like recorded "
      "ones.\n"
      "A trace recorded under that same map already holds its faults: the map is then not "
      "applied.\n\n"
      "  --model FILE        model file                                             (required)\n"
      "  --faults FILE       fault trace (.csv[.gz])                                 (required)\n"
      "  --system FILE       the recorded run's system config (sets the placement)   (required)\n"
      "  --rram-layers L     as in the recorded run (default all)\n"
      "  --weight-reuse B    as in the recorded run (default 1)\n"
      "  --seed S            as in the recorded run (default: the system file's seed; only\n"
      "                      the error map's flip-rate draws use it)\n"
      "  --error-map FILE    measured error map CSV (replaces the system file's error_map)\n"
      "  --skip-bad          count and skip malformed lines of the fault trace and the error map\n"
      "                      (the count goes to stderr); default: the first one is an error\n"
      "  --data SET          as in the recorded run (default fashion-mnist)\n"
      "  --limit N           first N test images (default: all; --images N: deprecated spelling)\n"
      "  --threads T         engine threads, 1..64 (default: online CPUs, at most 8; the result\n"
      "                      does not depend on it)\n"
      "  --predictions FILE  replay: write one prediction per line\n"
      "  --neurons K         analyze: neurons replayed alone, most faults first (default 20)\n"
      "  --out DIR           analyze: tables and plot\n");
}

int write_preds(const std::string& path, const std::vector<uint8_t>& pred) {
  std::string t;
  for (uint8_t p : pred) t += std::to_string(p) + "\n";
  try {
    rramsim::write_file_atomic(path, t);
  } catch (const std::exception& e) {
    return cli_error(kCmd, "%s", e.what());
  }
  return CLI_EXIT_OK;
}

double accuracy(const std::vector<uint8_t>& pred, const bnn_dataset& ds) {
  uint64_t ok = 0;
  for (uint32_t i = 0; i < ds.n; ++i) ok += pred[i] == ds.labels[i];
  return ds.n ? static_cast<double>(ok) / ds.n : 0;
}

// Spearman rank correlation (average ranks for ties); NaN when either side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  return bet_stats_spearman(x.data(), y.data(), std::min(x.size(), y.size()));
}

// BET-margin vulnerability of a neuron hit by k flips: the fraction of images whose clean
// pre-activation margin is within reach of k flipped weights. Hidden layers: margin |a − t|,
// reach 2·k·s (one flipped weight moves a by 2·|x_i|; s = 1 for binary inputs, the image's mean
// pixel, at least 1, for the first layer; with an input offset q_c the flip moves z = a − qS by
// 2·|p_i − q_c|, so s is the image's mean |p_i − q_c(i)|, at least 1). Output layer: margin =
// distance of a_o to the best other score. Pre-activations come from libbnn's bnn_model_preact (the
// project's one reference forward pass besides the engine). Memory stays O(neurons asked): margins
// are compared image by image, never stored.
struct VulnQuery {
  int weight_layer;
  int64_t neuron;
  uint64_t faults;
};
// Returns "" and fills vul (NaN for neurons of layers without a per-neuron margin), or the reason
// the metric cannot be computed for this model (e.g. bnn_model_preact does not support it).
std::string vulnerability(const bnn_model* m, const bnn_dataset& ds,
                          const std::vector<uint8_t>& engine_pred, const std::vector<VulnQuery>& q,
                          std::vector<double>* vul) {
  struct WL {
    uint32_t all_index;
    uint64_t offset;
    bnn_layer_info li;
  };
  std::vector<WL> wls;
  uint64_t off = 0;
  for (uint32_t i = 0; i < bnn_model_n_layers(m); ++i) {
    bnn_layer_info li;
    bnn_model_layer(m, i, &li);
    if (li.weight_layer_index < 0) continue;
    wls.push_back({i, off, li});
    off += uint64_t{li.out_c} * li.out_h * li.out_w;
  }
  const uint64_t count = bnn_model_preact_count(m);
  if (count != off) return "pre-activation count disagrees with the model's layers";
  // Per query: where its pre-activation lives, its threshold (hidden dense neurons).
  struct Q {
    bool ok;
    uint64_t at;
    bool out;
    bool u8;
    int32_t t;
    uint64_t lo, hi;
  };
  std::vector<Q> qs(q.size());
  const WL* out_layer = nullptr;
  for (const WL& w : wls)
    if (w.li.is_output) out_layer = &w;
  if (!out_layer) return "the model has no output layer";
  for (size_t k = 0; k < q.size(); ++k) {
    Q& x = qs[k];
    x.ok = false;
    if (q[k].weight_layer < 0 || static_cast<size_t>(q[k].weight_layer) >= wls.size()) continue;
    const WL& w = wls[static_cast<size_t>(q[k].weight_layer)];
    if (w.li.kind != BNN_LAYER_DENSE || q[k].neuron < 0 ||
        static_cast<uint64_t>(q[k].neuron) >= w.li.out_c)
      continue;  // conv channels have one margin per position: no per-neuron figure here
    x.ok = true;
    x.at = w.offset + static_cast<uint64_t>(q[k].neuron);
    x.out = w.li.is_output != 0;
    x.u8 = w.li.input_u8 != 0;
    x.lo = out_layer->offset, x.hi = out_layer->offset + out_layer->li.out_c;
    int8_t d = 1;
    x.t = 0;
    if (!x.out) bnn_model_threshold(m, w.all_index, static_cast<uint32_t>(q[k].neuron), &x.t, &d);
  }
  std::vector<int32_t> a(count);
  std::vector<uint64_t> within(q.size(), 0);
  const size_t px = size_t{ds.c} * ds.h * ds.w;
  // Input offset (bnn.h): q_c per channel; input i of the dense first layer is channel i % C.
  std::vector<double> q_off;
  if (bnn_model_input_offset(m, nullptr, nullptr, nullptr)) {
    uint32_t shift = 0, in_c = 0, in_h = 0, in_w = 0;
    bnn_model_input_shape(m, &in_c, &in_h, &in_w);
    std::vector<int64_t> num(in_c);
    bnn_model_input_offset(m, &shift, num.data(), nullptr);
    for (int64_t v : num)
      q_off.push_back(std::ldexp(static_cast<double>(v), -static_cast<int>(shift)));
  }
  for (uint32_t n = 0; n < ds.n; ++n) {
    const uint8_t* img = ds.images + n * px;
    if (bnn_model_preact(m, img, a.data()) != BNN_OK) return bnn_errmsg();
    // The margins must describe the network the engine ran: same prediction (ties: lowest index).
    uint32_t best = 0;
    for (uint32_t c = 1; c < out_layer->li.out_c; ++c)
      if (a[out_layer->offset + c] > a[out_layer->offset + best]) best = c;
    if (best != engine_pred[n])
      return "bnn_model_preact predicts class " + std::to_string(best) + " for image " +
             std::to_string(n) + ", the engine " + std::to_string(engine_pred[n]);
    double sum = 0;
    for (size_t i = 0; i < px; ++i)
      sum += q_off.empty() ? img[i] : std::fabs(img[i] - q_off[i % q_off.size()]);
    const double s_u8 = px ? std::max(1.0, sum / static_cast<double>(px)) : 1.0;
    for (size_t k = 0; k < q.size(); ++k) {
      const Q& x = qs[k];
      if (!x.ok) continue;
      double margin;
      if (x.out) {
        int64_t other = INT64_MIN;
        for (uint64_t c = x.lo; c < x.hi; ++c)
          if (c != x.at) other = std::max<int64_t>(other, a[c]);
        margin = std::fabs(static_cast<double>(a[x.at]) - static_cast<double>(other));
      } else {
        margin = std::fabs(static_cast<double>(a[x.at]) - static_cast<double>(x.t));
      }
      within[k] += margin <= 2.0 * static_cast<double>(q[k].faults) * (x.u8 ? s_u8 : 1.0);
    }
  }
  vul->assign(q.size(), std::nan(""));
  for (size_t k = 0; k < q.size(); ++k)
    if (qs[k].ok) (*vul)[k] = ds.n ? static_cast<double>(within[k]) / ds.n : 0;
  return "";
}
}  // namespace

extern "C" int cli_cmd_faults(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  const std::string sub = argv[1];
  if (sub != "replay" && sub != "analyze")
    return cli_usage_error(kCmd, "unknown subcommand '%s' (replay or analyze)", argv[1]);
  std::string model_path, faults_path, system_path, data = "fashion-mnist", preds_path, out_dir;
  std::string error_map;
  uint64_t mask = ~uint64_t{0}, v = 0, seed = 0;
  uint32_t images = 0, reuse = 1, neurons = 20;
  int threads = 1;
  bool skip_bad = false, have_seed = false;
  threads = cli_default_threads();
  auto option = [&](const char* a, const char* val) -> cli_opt_result {
    bool ok = true;
    if (!a) return CLI_OPT_UNKNOWN; /* no positional arguments */
    if (!std::strcmp(a, "--skip-bad"))
      skip_bad = true;
    else if (!std::strcmp(a, "--model"))
      model_path = val;
    else if (!std::strcmp(a, "--error-map"))
      error_map = val;
    else if (!std::strcmp(a, "--seed")) {
      ok = cli_parse_u64(kCmd, a, val, 0, INT64_MAX, &seed);
      have_seed = true;
    } else if (!std::strcmp(a, "--faults"))
      faults_path = val;
    else if (!std::strcmp(a, "--system"))
      system_path = val;
    else if (!std::strcmp(a, "--data"))
      data = val;
    else if (!std::strcmp(a, "--predictions"))
      preds_path = val;
    else if (!std::strcmp(a, "--out"))
      out_dir = val;
    else if (!std::strcmp(a, "--neurons")) {
      ok = cli_parse_u64(kCmd, a, val, 1, 100000, &v);
      neurons = static_cast<uint32_t>(v);
    } else
      return rrsimcli::point_option(kCmd, a, val, &images, &reuse, &threads, &mask);
    return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
  };
  static const cli_option opts[] = {
      {"skip-bad", 0, nullptr, nullptr},    {"model", 1, nullptr, nullptr},
      {"error-map", 1, nullptr, nullptr},   {"seed", 1, nullptr, nullptr},
      {"faults", 1, nullptr, nullptr},      {"system", 1, nullptr, nullptr},
      {"data", 1, nullptr, nullptr},        {"predictions", 1, nullptr, nullptr},
      {"out", 1, nullptr, nullptr},         {"limit", 1, nullptr, nullptr},
      {"images", 1, nullptr, "limit"},      {"weight-reuse", 1, nullptr, nullptr},
      {"neurons", 1, nullptr, nullptr},     {"threads", 1, nullptr, nullptr},
      {"rram-layers", 1, nullptr, nullptr}, {nullptr, 0, nullptr, nullptr}};
  {
    int prc = CLI_EXIT_OK;
    if (!cli_parse_options_with(kCmd, argc, argv, 2, opts, option, usage, &prc)) return prc;
  }
  if (model_path.empty()) return cli_usage_error(kCmd, "--model FILE is required");
  if (faults_path.empty()) return cli_usage_error(kCmd, "--faults FILE is required");
  if (system_path.empty()) return cli_usage_error(kCmd, "--system FILE is required");
  if (!cli_input_note(kCmd, "--model", model_path.c_str()) ||
      !cli_input_note(kCmd, "--faults", faults_path.c_str()) ||
      !cli_input_note(kCmd, "--faults", (faults_path + RRT_SIDECAR_SUFFIX).c_str()) ||
      !cli_input_note(kCmd, "--system", system_path.c_str()) ||
      !cli_input_note(kCmd, "--error-map", error_map.c_str()) ||
      !cli_output_claim(kCmd, "--predictions", preds_path.c_str()) ||
      !cli_output_claim(kCmd, "--out", out_dir.c_str()) ||
      (!out_dir.empty() && (!cli_output_claim(kCmd, "--out", (out_dir + "/layers.csv").c_str()) ||
                            !cli_output_claim(kCmd, "--out", (out_dir + "/neurons.csv").c_str()) ||
                            !cli_output_claim(kCmd, "--out", (out_dir + "/neurons.png").c_str()) ||
                            !cli_output_claim(kCmd, "--out", (out_dir + "/neurons.svg").c_str()))))
    return CLI_EXIT_FAIL;

  bnn_dataset ds{};
  int rc = CLI_EXIT_OK;
  try {
    rramsim::SystemConfig cfg = rramsim::load_system(system_path, "", have_seed, seed);
    if (!error_map.empty()) cfg.error_map = rramsim::load_error_map(error_map, cfg.org, skip_bad);
    if (cfg.error_map && cfg.error_map->bad_lines)
      std::fprintf(stderr,
                   "rramsim faults: %s: skipped %" PRIu64
                   " malformed line%s (first at line %" PRIu64 ")\n",
                   cfg.error_map->path.c_str(), cfg.error_map->bad_lines,
                   cfg.error_map->bad_lines == 1 ? "" : "s", cfg.error_map->first_bad_line);
    rramsim::ModelPtr m = rramsim::load_model(model_path);
    std::vector<rrt_fault> faults;
    rramsim::FaultTraceInfo info;
    rramsim::load_fault_trace(faults_path, rramsim::model_file_id(model_path), &faults, skip_bad,
                              &info);
    if (info.bad_lines)
      std::fprintf(
          stderr,
          "rramsim faults: %s: skipped %" PRIu64 " malformed line%s (first at line %" PRIu64 ")\n",
          faults_path.c_str(), info.bad_lines, info.bad_lines == 1 ? "" : "s", info.first_bad_line);
    // A trace recorded under this very map (its config hash, at any operating point, is this
    // config's with the map) already holds the map's faults; applying them again would undo
    // its read flips.
    bool map_in_trace = false;
    if (cfg.error_map && !info.config_hash.empty()) {
      rramsim::SystemConfig probe = cfg;
      for (size_t k = 0; k < probe.device.n_points && !map_in_trace; ++k) {
        probe.op_index = static_cast<int>(k);
        map_in_trace = rramsim::config_hash(probe) == info.config_hash;
      }
    }
    rramsim::open_data(&ds, data, images, m.get(), model_path);
    rramsim::PlacementParams pp;
    pp.rram_layer_mask = mask;
    const rramsim::Placement pl = rramsim::place_model(m.get(), model_path, cfg, pp);
    rramsim::FaultReplayParams rp;
    rp.weight_reuse = reuse;
    rp.threads = threads;
    std::vector<rrt_fault> map_faults;
    auto replay = [&](const std::vector<uint8_t>* keep) {
      std::vector<uint8_t> pred;
      try {
        rramsim::replay_faults(m.get(), pl, faults, keep, ds.images, ds.n, rp, &pred);
      } catch (const rramsim::Error& e) {
        throw rramsim::Error(faults_path + ": " + e.what());
      }
      return pred;
    };
    std::vector<uint8_t> clean_pred;
    const double clean = rramsim::clean_accuracy(m.get(), ds, threads, &clean_pred);
    std::vector<uint8_t> all;
    std::printf("faults:    %zu from %s\n", faults.size(), faults_path.c_str());
    if (cfg.error_map && map_in_trace) {
      std::printf("error map: %s is already in the trace (recorded under it); not applied again\n",
                  cfg.error_map->path.c_str());
      all = replay(nullptr);
    } else if (cfg.error_map) {
      // One replay with the map as the device's; what it changed becomes fault records, so the
      // later replays (analyze) attribute the map's damage like any recorded fault.
      rp.error_map = cfg.error_map.get();
      rp.seed = cfg.seed;
      rp.map_faults = &map_faults;
      all = replay(nullptr);
      rp.error_map = nullptr;
      rp.map_faults = nullptr;
      uint64_t stuck = 0;
      for (const rrt_fault& f : map_faults) stuck += f.kind == RRT_FAULT_STUCK_AT;
      std::printf("error map: %s (%" PRIu64 " stuck-at-0, %" PRIu64 " stuck-at-1, %" PRIu64
                  " flip-rate cells, seed %" PRIu64 "): %" PRIu64
                  " stuck weight bits, %zu read flips\n",
                  cfg.error_map->path.c_str(), cfg.error_map->stuck0, cfg.error_map->stuck1,
                  cfg.error_map->flip, cfg.seed, stuck, map_faults.size() - stuck);
      faults.insert(faults.end(), map_faults.begin(), map_faults.end());
    } else {
      all = replay(nullptr);
    }
    const double acc_all = accuracy(all, ds);
    std::printf("accuracy:  %.2f %% with all faults, %.2f %% clean (%u images)\n", 100 * acc_all,
                100 * clean, ds.n);
    if (sub == "replay") {
      if (!preds_path.empty()) rc = write_preds(preds_path, all);
    } else {
      // Weight layer of each fault from its address (the file's layer column may be -1).
      std::vector<int> layer(faults.size(), -1);
      std::vector<int64_t> neuron(faults.size(), -1);
      for (size_t i = 0; i < faults.size(); ++i) {
        int32_t l;
        int64_t nn, w;
        if (rramsim::locate_rram_bit(pl, faults[i].address, faults[i].bit, &l, &nn, &w))
          layer[i] = l, neuron[i] = nn;
      }
      std::string lcsv =
          "layer,faults,acc_only_this,acc_all_but_this,loss_only_this,loss_removed\n";
      std::printf(
          "\nlayer  faults  acc(only this)  acc(all but this)  lost(only)  recovered(removed)\n");
      for (const rramsim::LayerPlacement& lp : pl.layers) {
        if (!lp.in_rram) continue;
        std::vector<uint8_t> only(faults.size()), but(faults.size());
        uint64_t cnt = 0;
        for (size_t i = 0; i < faults.size(); ++i) {
          only[i] = layer[i] == lp.weight_layer;
          but[i] = !only[i];
          cnt += only[i];
        }
        const double a1 = accuracy(replay(&only), ds), a2 = accuracy(replay(&but), ds);
        std::printf("%5d  %6" PRIu64 "  %13.2f%%  %16.2f%%  %9.2f%%  %17.2f%%\n", lp.weight_layer,
                    cnt, 100 * a1, 100 * a2, 100 * (clean - a1), 100 * (a2 - acc_all));
        char b[256];
        std::snprintf(b, sizeof b, "%d,%" PRIu64 ",%.6f,%.6f,%.6f,%.6f\n", lp.weight_layer, cnt, a1,
                      a2, clean - a1, a2 - acc_all);
        lcsv += b;
      }
      // Neurons by fault count (bounded work: only the --neurons most-hit ones are replayed).
      std::map<std::pair<int, int64_t>, uint64_t> hits;
      for (size_t i = 0; i < faults.size(); ++i)
        if (layer[i] >= 0) ++hits[{layer[i], neuron[i]}];
      std::vector<std::pair<uint64_t, std::pair<int, int64_t>>> order;
      for (const auto& h : hits) order.push_back({h.second, h.first});
      std::stable_sort(order.begin(), order.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first; });
      if (order.size() > neurons) order.resize(neurons);
      // Damage two ways: accuracy lost (what the user cares about; coarse, and flips that fix
      // a wrong prediction cancel flips that break a right one) and the fraction of predictions
      // changed against the clean ones (finer: any effect on the output counts).
      struct Row {
        int l;
        int64_t n;
        uint64_t f;
        double acc, changed;
      };
      std::vector<Row> rows;
      for (const auto& o : order) {
        std::vector<uint8_t> only(faults.size());
        for (size_t i = 0; i < faults.size(); ++i)
          only[i] = layer[i] == o.second.first && neuron[i] == o.second.second;
        const std::vector<uint8_t> pr = replay(&only);
        uint64_t ch = 0;
        for (uint32_t i = 0; i < ds.n; ++i) ch += pr[i] != clean_pred[i];
        rows.push_back({o.second.first, o.second.second, o.first, accuracy(pr, ds),
                        ds.n ? static_cast<double>(ch) / ds.n : 0.0});
      }
      std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return a.acc != b.acc ? a.acc < b.acc : a.changed > b.changed;
      });
      // Predicted vulnerability (BET margin) vs measured damage, over the replayed neurons.
      std::vector<VulnQuery> vq;
      for (const Row& r : rows) vq.push_back({r.l, r.n, r.f});
      std::vector<double> vul(rows.size(), std::nan(""));
      double rho = std::nan(""), rho_changed = std::nan("");
      const std::string why = vulnerability(m.get(), ds, clean_pred, vq, &vul);
      if (why.empty()) {
        std::vector<double> dmg, chg, v2;
        for (size_t k = 0; k < rows.size(); ++k)
          if (!std::isnan(vul[k]))
            dmg.push_back(clean - rows[k].acc), chg.push_back(rows[k].changed),
                v2.push_back(vul[k]);
        if (dmg.size() >= 2) rho = spearman(dmg, v2), rho_changed = spearman(chg, v2);
        std::printf(
            "\nSpearman rank correlation, measured damage vs BET-margin vulnerability: %.3f "
            "(%zu neurons)\n",
            rho, dmg.size());
        std::printf(
            "Spearman rank correlation, predictions changed vs BET-margin vulnerability: %.3f\n",
            rho_changed);
      } else {
        std::printf("\nBET-margin vulnerability skipped: %s\n", why.c_str());
      }
      std::string ncsv =
          "rank,layer,neuron,faults,acc_only_this,loss_only_this,vulnerability,changed_only_this\n";
      std::printf("\nrank  layer  neuron  faults  acc(only this)   lost  changed  vulnerability\n");
      for (size_t k = 0; k < rows.size(); ++k) {
        std::printf("%4zu  %5d  %6" PRId64 "  %6" PRIu64 "  %13.2f%%  %5.2f%%  %6.2f%%  %13.4f\n",
                    k + 1, rows[k].l, rows[k].n, rows[k].f, 100 * rows[k].acc,
                    100 * (clean - rows[k].acc), 100 * rows[k].changed, vul[k]);
        char b[256];
        std::snprintf(b, sizeof b, "%zu,%d,%" PRId64 ",%" PRIu64 ",%.6f,%.6f,%.6f,%.6f\n", k + 1,
                      rows[k].l, rows[k].n, rows[k].f, rows[k].acc, clean - rows[k].acc, vul[k],
                      rows[k].changed);
        ncsv += b;
      }
      if (!out_dir.empty()) {
        if (!rramsim::make_directories(out_dir))
          throw rramsim::Error("--out " + out_dir +
                               ": cannot create directory: " + std::strerror(errno));
        rramsim::write_file_atomic(out_dir + "/layers.csv", lcsv);
        rramsim::write_file_atomic(out_dir + "/neurons.csv", ncsv);
        for (const char* ext : {"png", "svg"}) {
          std::string cmd = std::string("gnuplot -e \"set terminal ") +
                            (std::strcmp(ext, "png") ? "svg" : "png") + "; set output '" + out_dir +
                            "/neurons." + ext +
                            "'; set datafile separator ','; set key off; set style fill solid;"
                            " set xlabel 'neuron (rank)'; set ylabel 'accuracy lost';"
                            " plot '" +
                            out_dir +
                            "/neurons.csv' every ::1 using 1:6:xtic(sprintf('L%d "
                            "n%d',int(column(2)),int(column(3)))) with boxes\" 2>/dev/null";
          const std::string fig = out_dir + "/neurons." + ext;
          struct stat fst;
          if (std::system(cmd.c_str()) != 0)
            std::fprintf(stderr, "rramsim faults: warning: gnuplot failed for %s\n", fig.c_str());
          else if (stat(fig.c_str(), &fst) != 0 || fst.st_size == 0)
            // gnuplot exits 0 when it cannot write (a full disk): the figure is not there.
            throw rramsim::Error(fig + ": gnuplot wrote nothing (disk full?)");
        }
        std::printf("\nwrote:     %s/layers.csv, %s/neurons.csv, %s/neurons.{png,svg}\n",
                    out_dir.c_str(), out_dir.c_str(), out_dir.c_str());
      }
    }
  } catch (const std::exception& ex) {
    bnn_dataset_free(&ds);
    return cli_error(kCmd, "%s", ex.what());
  }
  bnn_dataset_free(&ds);
  return rc;
}
