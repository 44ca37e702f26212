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

#include "cli.h"
#include "commands.h"
#include "job.hpp"
#include "rramsim/fault_replay.hpp"
#include "rramsim/stats.hpp"

bool rr_parse_layer_mask(const char* s, uint64_t* mask);  // cmd_run.cpp

namespace {

const char* const kCmd = "faults";

void usage(FILE* f) {
  std::fprintf(f,
      "usage: rramsim faults replay  --model FILE --faults FILE --system FILE [options]\n"
      "       rramsim faults analyze --model FILE --faults FILE --system FILE [options]\n\n"
      "replay re-applies exactly the faults of a trace recorded by `rramsim run --record-faults`:\n"
      "persistent ones (write, stuck-at, endurance) to the stored weights, read faults to the\n"
      "reads they hit (by read index, counted as the workload bridge issues reads), and prints the\n"
      "accuracy; its predictions equal the recorded run's image by image when --system,\n"
      "--rram-layers, --weight-reuse, --data and --images are the recorded run's.\n"
      "analyze measures accuracy lost per weight layer (that layer's faults alone; all but that\n"
      "layer's) and per neuron (the --neurons neurons with most faults, each alone), prints tables\n"
      "and with --out DIR writes layers.csv, neurons.csv and neurons.png/.svg (gnuplot).\n"
      "A fault file recorded for another model (model_id = CRC-32 of the model file) is refused.\n\n"
      "  --model FILE        model file                                             (required)\n"
      "  --faults FILE       fault trace (.csv[.gz])                                 (required)\n"
      "  --system FILE       the recorded run's system config (sets the placement)   (required)\n"
      "  --rram-layers L     as in the recorded run (default all)\n"
      "  --weight-reuse B    as in the recorded run (default 1)\n"
      "  --data SET          as in the recorded run (default fashion-mnist)\n"
      "  --images N          first N test images (default: all)\n"
      "  --threads T         engine threads, 1..64 (default 1)\n"
      "  --predictions FILE  replay: write one prediction per line\n"
      "  --neurons K         analyze: neurons replayed alone, most faults first (default 20)\n"
      "  --out DIR           analyze: tables and plot\n");
}

int write_preds(const std::string& path, const std::vector<uint8_t>& pred) {
  std::string t;
  for (uint8_t p : pred) t += std::to_string(p) + "\n";
  std::string e = rramsim::write_file_atomic(path, t);
  return e.empty() ? RR_EXIT_OK : rr_error(kCmd, "%s", e.c_str());
}

double accuracy(const std::vector<uint8_t>& pred, const bnn_dataset& ds) {
  uint64_t ok = 0;
  for (uint32_t i = 0; i < ds.n; ++i) ok += pred[i] == ds.labels[i];
  return ds.n ? static_cast<double>(ok) / ds.n : 0;
}


// Spearman rank correlation (average ranks for ties); NaN when either side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size();) {
      size_t j = i;
      while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
      for (size_t k = i; k <= j; ++k) r[idx[k]] = (i + j) / 2.0 + 1;
      i = j + 1;
    }
    return r;
  };
  const std::vector<double> rx = ranks(x), ry = ranks(y);
  const size_t n = x.size();
  double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) mx += rx[i] / n, my += ry[i] / n;
  for (size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : std::nan("");
}

// BET-margin vulnerability of neuron (wl, o) hit by k flips: the fraction of images whose clean
// pre-activation margin is within reach of k flipped weights. Hidden layers: margin |a − t|,
// reach 2·k·s (one flipped weight moves a by 2·|x_i|; s = 1 for binary inputs, the image's mean
// pixel for the first layer). Output layer: margin = distance of a_o to the best other score.
// Computed here with a small reference forward pass (the engine exposes no pre-activations and
// the metrics branch is not on main); dense-only models, else false.
struct MarginModel {
  struct L { uint32_t all_index, fan_in, out; bool u8, out_layer; std::vector<int8_t> w;
             std::vector<int32_t> t; std::vector<int8_t> d; };
  std::vector<L> layers;
};
bool build_margin_model(const bnn_model* m, MarginModel* mm) {
  for (uint32_t i = 0; i < bnn_model_n_layers(m); ++i) {
    bnn_layer_info li;
    bnn_model_layer(m, i, &li);
    if (li.kind != BNN_LAYER_DENSE) return false;
    MarginModel::L l{i, li.fan_in, li.out_c, li.input_u8 != 0, li.is_output != 0, {}, {}, {}};
    l.w.resize(size_t{li.out_c} * li.fan_in);
    for (uint32_t o = 0; o < li.out_c; ++o)
      for (uint32_t j = 0; j < li.fan_in; ++j)
        l.w[size_t{o} * li.fan_in + j] = static_cast<int8_t>(bnn_model_weight(m, i, o, j));
    if (!l.out_layer) {
      l.t.resize(li.out_c), l.d.resize(li.out_c);
      for (uint32_t o = 0; o < li.out_c; ++o) bnn_model_threshold(m, i, o, &l.t[o], &l.d[o]);
    }
    mm->layers.push_back(std::move(l));
  }
  return true;
}
// margins[layer][o][image] and reach scale per [layer][image].
void margins(const MarginModel& mm, const bnn_dataset& ds, std::vector<std::vector<std::vector<double>>>* mg,
             std::vector<std::vector<double>>* scale, std::vector<uint8_t>* pred) {
  const size_t px = size_t{ds.c} * ds.h * ds.w;
  mg->assign(mm.layers.size(), {});
  scale->assign(mm.layers.size(), std::vector<double>(ds.n, 1.0));
  for (size_t li = 0; li < mm.layers.size(); ++li) (*mg)[li].assign(mm.layers[li].out, std::vector<double>(ds.n));
  pred->assign(ds.n, 0);
  for (uint32_t n = 0; n < ds.n; ++n) {
    std::vector<int64_t> x(ds.images + n * px, ds.images + (n + 1) * px);
    for (size_t li = 0; li < mm.layers.size(); ++li) {
      const MarginModel::L& l = mm.layers[li];
      if (l.u8) {
        double sum = 0;
        for (int64_t v : x) sum += static_cast<double>(v);
        (*scale)[li][n] = x.empty() ? 1.0 : std::max(1.0, sum / static_cast<double>(x.size()));
      }
      std::vector<int64_t> a(l.out, 0);
      for (uint32_t o = 0; o < l.out; ++o)
        for (uint32_t j = 0; j < l.fan_in && j < x.size(); ++j) a[o] += l.w[size_t{o} * l.fan_in + j] * x[j];
      std::vector<int64_t> y(l.out);
      for (uint32_t o = 0; o < l.out; ++o) {
        if (l.out_layer) {
          if (a[o] > a[(*pred)[n]]) (*pred)[n] = static_cast<uint8_t>(o);  // ties: lowest index
          int64_t best = INT64_MIN;
          for (uint32_t q = 0; q < l.out; ++q) if (q != o) best = std::max(best, a[q]);
          (*mg)[li][o][n] = static_cast<double>(a[o] > best ? a[o] - best : best - a[o]);
        } else {
          (*mg)[li][o][n] = static_cast<double>(a[o] > l.t[o] ? a[o] - l.t[o] : l.t[o] - a[o]);
          y[o] = (l.d[o] > 0 ? a[o] >= l.t[o] : a[o] <= l.t[o]) ? 1 : -1;
        }
      }
      x.swap(y);
    }
  }
}
}  // namespace

extern "C" int rr_cmd_faults(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? RR_EXIT_USAGE : RR_EXIT_OK;
  }
  const std::string sub = argv[1];
  if (sub != "replay" && sub != "analyze")
    return rr_usage_error(kCmd, "unknown subcommand '%s' (replay or analyze)", argv[1]);
  std::string model_path, faults_path, system_path, data = "fashion-mnist", preds_path, out_dir;
  uint64_t mask = ~uint64_t{0}, v = 0;
  uint32_t images = 0, reuse = 1, neurons = 20;
  int threads = 1;
  for (int i = 2; i < argc; ++i) {
    const char* a = argv[i];
    if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
      usage(stdout);
      return RR_EXIT_OK;
    }
    if (std::strncmp(a, "--", 2) != 0) return rr_usage_error(kCmd, "unexpected argument '%s'", a);
    if (i + 1 >= argc) return rr_usage_error(kCmd, "option '%s' needs a value or is unknown", a);
    const char* val = argv[++i];
    if (!std::strcmp(a, "--model")) model_path = val;
    else if (!std::strcmp(a, "--faults")) faults_path = val;
    else if (!std::strcmp(a, "--system")) system_path = val;
    else if (!std::strcmp(a, "--data")) data = val;
    else if (!std::strcmp(a, "--predictions")) preds_path = val;
    else if (!std::strcmp(a, "--out")) out_dir = val;
    else if (!std::strcmp(a, "--images")) {
      if (!rr_parse_u64(kCmd, a, val, 1, UINT32_MAX, &v)) return RR_EXIT_USAGE;
      images = static_cast<uint32_t>(v);
    } else if (!std::strcmp(a, "--weight-reuse")) {
      if (!rr_parse_u64(kCmd, a, val, 1, 65536, &v)) return RR_EXIT_USAGE;
      reuse = static_cast<uint32_t>(v);
    } else if (!std::strcmp(a, "--neurons")) {
      if (!rr_parse_u64(kCmd, a, val, 1, 100000, &v)) return RR_EXIT_USAGE;
      neurons = static_cast<uint32_t>(v);
    } else if (!std::strcmp(a, "--threads")) {
      if (!rr_parse_int(kCmd, a, val, 1, 64, &threads)) return RR_EXIT_USAGE;
    } else if (!std::strcmp(a, "--rram-layers")) {
      if (!rr_parse_layer_mask(val, &mask))
        return rr_usage_error(kCmd, "--rram-layers: expected 'all' or a list like 0,2, got '%s'", val);
    } else {
      return rr_usage_error(kCmd, "unknown option '%s'", a);
    }
  }
  if (model_path.empty()) return rr_usage_error(kCmd, "--model FILE is required");
  if (faults_path.empty()) return rr_usage_error(kCmd, "--faults FILE is required");
  if (system_path.empty()) return rr_usage_error(kCmd, "--system FILE is required");

  bnn_dataset ds{};
  int rc = RR_EXIT_OK;
  try {
    rramsim::SystemConfig cfg = rrjob::load_system(system_path, "", false, 0);
    rrjob::ModelPtr m = rrjob::load_model(model_path);
    std::vector<rrt_fault> faults;
    std::string e = rramsim::load_fault_trace(faults_path, rrjob::model_file_id(model_path), &faults);
    if (!e.empty()) throw rrjob::JobError(e);
    rrjob::open_data(&ds, data, images, m.get(), model_path);
    rramsim::PlacementParams pp;
    pp.rram_layer_mask = mask;
    const rramsim::Placement pl = rramsim::place_model(m.get(), model_path, cfg, pp);
    rramsim::FaultReplayParams rp;
    rp.weight_reuse = reuse;
    rp.threads = threads;
    auto replay = [&](const std::vector<uint8_t>* keep) {
      std::vector<uint8_t> pred;
      std::string err = rramsim::replay_faults(m.get(), pl, faults, keep, ds.images, ds.n, rp, &pred);
      if (!err.empty()) throw rrjob::JobError(faults_path + ": " + err);
      return pred;
    };
    std::vector<uint8_t> clean_pred;
    const double clean = rrjob::clean_accuracy(m.get(), ds, threads, &clean_pred);
    const std::vector<uint8_t> all = replay(nullptr);
    const double acc_all = accuracy(all, ds);
    std::printf("faults:    %zu from %s\n", faults.size(), faults_path.c_str());
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
      std::string lcsv = "layer,faults,acc_only_this,acc_all_but_this,loss_only_this,loss_removed\n";
      std::printf("\nlayer  faults  acc(only this)  acc(all but this)  lost(only)  recovered(removed)\n");
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
      struct Row { int l; int64_t n; uint64_t f; double acc; };
      std::vector<Row> rows;
      for (const auto& o : order) {
        std::vector<uint8_t> only(faults.size());
        for (size_t i = 0; i < faults.size(); ++i)
          only[i] = layer[i] == o.second.first && neuron[i] == o.second.second;
        rows.push_back({o.second.first, o.second.second, o.first, accuracy(replay(&only), ds)});
      }
      std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.acc < b.acc; });
      // Predicted vulnerability (BET margin) vs measured damage, over the replayed neurons.
      MarginModel mm;
      std::vector<double> vul(rows.size(), std::nan(""));
      double rho = std::nan("");
      if (build_margin_model(m.get(), &mm)) {
        std::vector<std::vector<std::vector<double>>> mg;
        std::vector<std::vector<double>> sc;
        std::vector<uint8_t> ref_pred;
        margins(mm, ds, &mg, &sc, &ref_pred);
        // The margins come from a separate forward pass: it must predict what the engine does.
        if (ref_pred != clean_pred)
          throw rrjob::JobError(model_path + ": reference forward pass disagrees with the engine");
        std::vector<double> dmg;
        for (size_t k = 0; k < rows.size(); ++k) {
          const size_t li = static_cast<size_t>(rows[k].l);
          if (li >= mg.size() || rows[k].n < 0 || static_cast<size_t>(rows[k].n) >= mg[li].size()) continue;
          uint64_t within = 0;
          for (uint32_t i = 0; i < ds.n; ++i)
            within += mg[li][static_cast<size_t>(rows[k].n)][i] <= 2.0 * static_cast<double>(rows[k].f) * sc[li][i];
          vul[k] = ds.n ? static_cast<double>(within) / ds.n : 0;
          dmg.push_back(clean - rows[k].acc);
        }
        std::vector<double> v2;
        for (double v3 : vul) if (!std::isnan(v3)) v2.push_back(v3);
        if (v2.size() == dmg.size() && dmg.size() >= 2) rho = spearman(dmg, v2);
        std::printf("\nSpearman rank correlation, measured damage vs BET-margin vulnerability: %.3f "
                    "(%zu neurons)\n", rho, dmg.size());
      } else {
        std::printf("\nBET-margin vulnerability: only for dense-only models (skipped)\n");
      }
      std::string ncsv = "rank,layer,neuron,faults,acc_only_this,loss_only_this,vulnerability\n";
      std::printf("\nrank  layer  neuron  faults  acc(only this)  lost\n");
      for (size_t k = 0; k < rows.size(); ++k) {
        std::printf("%4zu  %5d  %6" PRId64 "  %6" PRIu64 "  %13.2f%%  %5.2f%%\n", k + 1, rows[k].l,
                    rows[k].n, rows[k].f, 100 * rows[k].acc, 100 * (clean - rows[k].acc));
        char b[256];
        std::snprintf(b, sizeof b, "%zu,%d,%" PRId64 ",%" PRIu64 ",%.6f,%.6f,%.6f\n", k + 1, rows[k].l,
                      rows[k].n, rows[k].f, rows[k].acc, clean - rows[k].acc, vul[k]);
        ncsv += b;
      }
      if (!out_dir.empty()) {
        if (mkdir(out_dir.c_str(), 0777) != 0 && errno != EEXIST)
          throw rrjob::JobError("--out " + out_dir + ": cannot create directory: " + std::strerror(errno));
        std::string err = rramsim::write_file_atomic(out_dir + "/layers.csv", lcsv);
        if (err.empty()) err = rramsim::write_file_atomic(out_dir + "/neurons.csv", ncsv);
        if (!err.empty()) throw rrjob::JobError(err);
        for (const char* ext : {"png", "svg"}) {
          std::string cmd = std::string("gnuplot -e \"set terminal ") +
                            (std::strcmp(ext, "png") ? "svg" : "png") + "; set output '" + out_dir +
                            "/neurons." + ext +
                            "'; set datafile separator ','; set key off; set style fill solid;"
                            " set xlabel 'neuron (rank)'; set ylabel 'accuracy lost';"
                            " plot '" + out_dir + "/neurons.csv' every ::1 using 1:6:xtic(sprintf('L%d n%d',int(column(2)),int(column(3)))) with boxes\" 2>/dev/null";
          if (std::system(cmd.c_str()) != 0)
            std::fprintf(stderr, "rramsim faults: warning: gnuplot failed for %s/neurons.%s\n",
                         out_dir.c_str(), ext);
        }
        std::printf("\nwrote:     %s/layers.csv, %s/neurons.csv, %s/neurons.{png,svg}\n",
                    out_dir.c_str(), out_dir.c_str(), out_dir.c_str());
      }
    }
  } catch (const std::exception& ex) {
    bnn_dataset_free(&ds);
    return rr_error(kCmd, "%s", ex.what());
  }
  bnn_dataset_free(&ds);
  return rc;
}
