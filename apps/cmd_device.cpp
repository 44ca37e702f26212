// cmd_device.cpp — `rramsim device fit|info`: fit the analytic BER model, describe a preset.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bnn/input.h"
#include "bnn/status.h"
#include "cli.h"
#include "commands.h"
#include "rramsim/config.hpp"
#include "rramsim/device.h"

namespace {

const char* const kCmd = "device";

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: rramsim device fit POINTS.csv [options]\n"
      "       rramsim device info DEVICE.json\n\n"
      "fit: fits the analytic log-normal model (LRS median and spread as powers of the "
      "programming\n"
      "current) to measured (programming energy per bit, BER) points and prints the parameters as\n"
      "an \"analytic\" block for a device file. POINTS.csv: one 'energy_pj,ber' pair per line; a\n"
      "header line and '#' comments are allowed. Energy maps to current through\n"
      "E = cells_per_bit * I * V * t.\n"
      "  --cell 1T1R|2T2R     cell type                                  (default 2T2R)\n"
      "  --voltage V          programming voltage, V                     (default 1.2)\n"
      "  --pulse NS           programming pulse width, ns                (default 50)\n"
      "  --i0 UA              reference current of the power laws, uA    (default 200)\n"
      "  --hrs-median KOHM    HRS median (held fixed), kOhm              (default 100)\n"
      "  --hrs-sigma S        HRS sigma of ln R (held fixed)             (default 0.6)\n"
      "  --ref KOHM           1T1R sense reference (held fixed), kOhm    (default 20)\n"
      "  --strict             a poor or unphysical fit is an error (exit 1, nothing printed)\n"
      "Quality: a warning on stderr when the fit is poor (rms probit residual above 0.1, or a\n"
      "model BER off by more than the measured BER: max relative error above 1) or unphysical\n"
      "(LRS resistance rising with programming current: lrs_slope below -0.001). Points all at\n"
      "one energy, or a fit that does not reach finite parameters, are errors.\n\n"
      "info: prints the operating points of a device preset with their energy and error "
      "figures.\n");
}

int read_points(const char* path, std::vector<double>& e, std::vector<double>& b) {
  FILE* f = nullptr;  // a regular file of at most 16 MiB (bnn/input.h)
  if (bnn_input_fopen(path, BNN_INPUT_TEXT_MAX, &f, nullptr) != BNN_OK)
    return cli_error(kCmd, "%s", bnn_errmsg());
  char line[1024];
  int lineno = 0;
  bool header_seen = false;
  long at = std::ftell(f);
  while (std::fgets(line, sizeof line, f)) {
    ++lineno;
    // A NUL byte ends the C string before the bytes fgets read: binary data, not a points file.
    const long next = std::ftell(f);
    if (at >= 0 && next >= 0 && static_cast<size_t>(next - at) != std::strlen(line)) {
      std::fclose(f);
      return cli_error(kCmd, "%s:%d: NUL byte in the line (binary data in a text file?)", path,
                       lineno);
    }
    at = next;
    char* s = line;
    while (*s == ' ' || *s == '\t') ++s;
    if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0') continue;
    char* end = nullptr;
    errno = 0;
    double x = std::strtod(s, &end);
    if (end == s) {
      if (!header_seen && e.empty()) {  // one header line before the first point
        header_seen = true;
        continue;
      }
      std::fclose(f);
      return cli_error(kCmd, "%s:%d: expected 'energy_pj,ber'", path, lineno);
    }
    char* p = end;
    while (*p == ' ' || *p == '\t') ++p;
    if (*p != ',') {
      std::fclose(f);
      return cli_error(kCmd, "%s:%d: expected a comma after the energy", path, lineno);
    }
    ++p;
    double y = std::strtod(p, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') ++end;
    if (end == p || *end != '\0' || errno == ERANGE) {
      std::fclose(f);
      return cli_error(kCmd, "%s:%d: expected 'energy_pj,ber'", path, lineno);
    }
    if (!(x > 0) || !std::isfinite(x)) {
      std::fclose(f);
      return cli_error(kCmd, "%s:%d: energy must be > 0 pJ, got %g", path, lineno, x);
    }
    if (!(y > 0 && y < 0.5)) {
      std::fclose(f);
      return cli_error(kCmd, "%s:%d: BER must be in (0, 0.5), got %g", path, lineno, y);
    }
    e.push_back(x);
    b.push_back(y);
  }
  std::fclose(f);
  if (e.size() < 4) return cli_error(kCmd, "%s: need at least 4 points, got %zu", path, e.size());
  return CLI_EXIT_OK;
}

int cmd_fit(int argc, char** argv) {
  rr_fit_params p = rr_fit_default_params();
  const char* file = nullptr;
  int strict = 0;
  auto option = [&](const char* a, const char* v) -> cli_opt_result {
    if (!a) {
      if (file) return cli_usage_error(kCmd, "fit: more than one points file"), CLI_OPT_BAD;
      file = v;
      return CLI_OPT_TAKEN;
    }
    bool ok = true;
    if (!std::strcmp(a, "--cell")) {
      if (!rr_cell_type_parse(v, &p.cell))
        return cli_usage_error(kCmd, "--cell: expected 1T1R or 2T2R, got '%s'", v), CLI_OPT_BAD;
    } else if (!std::strcmp(a, "--voltage"))
      ok = cli_parse_double(kCmd, a, v, 1e-3, 100, &p.prog_voltage_v);
    else if (!std::strcmp(a, "--pulse"))
      ok = cli_parse_double(kCmd, a, v, 1e-3, 1e9, &p.prog_pulse_ns);
    else if (!std::strcmp(a, "--i0"))
      ok = cli_parse_double(kCmd, a, v, 1e-3, 1e5, &p.start.i0_ua);
    else if (!std::strcmp(a, "--hrs-median"))
      ok = cli_parse_double(kCmd, a, v, 1e-3, 1e9, &p.start.hrs_median_kohm);
    else if (!std::strcmp(a, "--hrs-sigma"))
      ok = cli_parse_double(kCmd, a, v, 1e-4, 10, &p.start.hrs_sigma);
    else if (!std::strcmp(a, "--ref"))
      ok = cli_parse_double(kCmd, a, v, 1e-3, 1e9, &p.start.ref_kohm);
    else
      return CLI_OPT_UNKNOWN;
    return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
  };
  const cli_option opts[] = {
      {"cell", 1, nullptr, nullptr},       {"voltage", 1, nullptr, nullptr},
      {"pulse", 1, nullptr, nullptr},      {"i0", 1, nullptr, nullptr},
      {"hrs-median", 1, nullptr, nullptr}, {"hrs-sigma", 1, nullptr, nullptr},
      {"ref", 1, nullptr, nullptr},        {"strict", 0, &strict, nullptr},
      {nullptr, 0, nullptr, nullptr}};
  {
    int prc = CLI_EXIT_OK;
    if (!cli_parse_options_with(kCmd, argc, argv, 2, opts, option, usage, &prc)) return prc;
  }
  if (!file) return cli_usage_error(kCmd, "fit: POINTS.csv is required");
  std::vector<double> e, b;
  int rc = read_points(file, e, b);
  if (rc != CLI_EXIT_OK) return rc;
  rr_fit_result r;
  if (rr_device_fit(&p, e.data(), b.data(), e.size(), &r) != BNN_OK)
    return cli_error(kCmd, "%s: %s", file, bnn_errmsg());
  // Quality: warnings on stderr after the result, or with --strict one error line and no result.
  const unsigned q = rr_fit_check(&r);
  std::string issues;
  char buf[256];
  if (q & (RR_FIT_POOR_RMS | RR_FIT_POOR_REL)) {
    std::snprintf(buf, sizeof buf,
                  "poor fit: rms probit residual %.3g (limit %g), max relative BER error %.3g "
                  "(limit %g)",
                  r.rms_probit, RR_FIT_MAX_RMS_PROBIT, r.max_rel_err, RR_FIT_MAX_REL_ERR);
    issues = buf;
  }
  if (q & RR_FIT_LRS_RISES) {
    std::snprintf(buf, sizeof buf,
                  "unphysical fit: LRS resistance rises with programming current (lrs_slope %.3g "
                  "< 0)",
                  r.model.lrs_slope);
    issues += (issues.empty() ? "" : "; ") + std::string(buf);
  }
  if (strict && !issues.empty()) return cli_error(kCmd, "%s: %s (--strict)", file, issues.c_str());
  std::printf(
      "fit of %zu points (%s, %.4g V, %.4g ns pulse): rms probit residual %.4g, max relative BER "
      "error %.3g, %d evaluations\n",
      e.size(), rr_cell_type_name(p.cell), p.prog_voltage_v, p.prog_pulse_ns, r.rms_probit,
      r.max_rel_err, r.evals);
  std::printf("%12s %12s %12s %12s\n", "energy_pj", "current_ua", "ber", "model_ber");
  for (size_t i = 0; i < e.size(); ++i)
    std::printf("%12.5g %12.5g %12.4g %12.4g\n", e[i],
                rr_prog_current_ua(p.cell, e[i], p.prog_voltage_v, p.prog_pulse_ns), b[i],
                rr_fit_model_ber(&p, &r.model, e[i]));
  const rr_analytic& m = r.model;
  std::printf(
      "\n\"analytic\": { \"i0_ua\": %.6g, \"lrs_median_kohm\": %.6g, \"lrs_slope\": %.6g, "
      "\"lrs_sigma\": %.6g, \"lrs_sigma_slope\": %.6g, \"hrs_median_kohm\": %.6g, "
      "\"hrs_sigma\": %.6g, \"ref_kohm\": %.6g }\n",
      m.i0_ua, m.lrs_median_kohm, m.lrs_slope, m.lrs_sigma, m.lrs_sigma_slope, m.hrs_median_kohm,
      m.hrs_sigma, m.ref_kohm);
  std::fflush(stdout);
  if (!issues.empty())
    std::fprintf(stderr, "rramsim device: warning: %s: %s\n", file, issues.c_str());
  return CLI_EXIT_OK;
}

int cmd_info(int argc, char** argv) {
  std::vector<const char*> files;
  auto option = [&](const char* a, const char* v) -> cli_opt_result {
    if (a) return CLI_OPT_UNKNOWN;
    files.push_back(v);
    return CLI_OPT_TAKEN;
  };
  {
    int prc = CLI_EXIT_OK;
    if (!cli_parse_options_with(kCmd, argc, argv, 2, nullptr, option, usage, &prc)) return prc;
  }
  if (files.size() != 1) return cli_usage_error(kCmd, "info: expected one DEVICE.json");
  rr_device d;
  try {
    d = rramsim::load_device_file(files[0]);
  } catch (const rramsim::ConfigError& ex) {
    return cli_error(kCmd, "%s", ex.what());
  }
  std::printf("device %s: %s cell, %zu operating points", d.name, rr_cell_type_name(d.cell),
              d.n_points);
  std::printf(", stuck-at density %g, endurance %s", d.stuck_density,
              d.endurance_median_writes > 0 ? "" : "infinite");
  if (d.endurance_median_writes > 0)
    std::printf("median %g writes (sigma %g)", d.endurance_median_writes, d.endurance_sigma);
  std::printf(", write-verify %s", rr_verify_policy_name(d.verify));
  if (d.verify == RR_VERIFY_ITERATIVE) std::printf(" (max %d)", d.verify_max_iterations);
  if (d.cost_model == RR_COST_ARRAY) {
    // The figures depend on the system's crossbar: shown for the default organisation.
    const rramsim::Organisation org;
    if (rr_device_apply_array_costs(&d, static_cast<int>(org.rows), static_cast<int>(org.columns),
                                    static_cast<int>(org.crossbars_per_bank),
                                    static_cast<int>(org.columns)) != BNN_OK)
      return cli_error(kCmd, "%s: %s", argv[0], bnn_errmsg());
    std::printf(
        "\ncosts from the array cost model (%d nm %s, mux %d) on the default %ux%u "
        "crossbar, %u per bank",
        d.array.node_nm, rr_roadmap_name(d.array.roadmap), d.array.mux, org.rows, org.columns,
        org.crossbars_per_bank);
  }
  std::printf("\n%-12s %9s %9s %9s %9s %10s %9s %9s %8s %8s\n", "op point", "wBER01", "wBER10",
              "rBER01", "rBER10", "Ewrite pJ", "Eread pJ", "x nominal", "tR ns", "tW ns");
  const double e0 = 0.5 * (d.points[0].e_set_pj + d.points[0].e_reset_pj);
  for (size_t i = 0; i < d.n_points; ++i) {
    const rr_op_point& p = d.points[i];
    double ew = 0.5 * (p.e_set_pj + p.e_reset_pj);
    std::printf("%-12s %9.3g %9.3g %9.3g %9.3g %10.4g %9.4g %9.3g %8.4g %8.4g\n", p.name,
                p.write_ber_01, p.write_ber_10, p.read_ber_01, p.read_ber_10, ew, p.e_read_pj,
                ew > 0 ? e0 / ew : 0.0, p.t_read_ns, p.t_write_ns);
  }
  std::printf(
      "(Ewrite: mean of SET and RESET energy per bit; 'x nominal': programming energy of the first "
      "point / this one)\n");
  return CLI_EXIT_OK;
}

}  // namespace

extern "C" int cli_cmd_device(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  if (!std::strcmp(argv[1], "fit")) return cmd_fit(argc, argv);
  if (!std::strcmp(argv[1], "info")) return cmd_info(argc, argv);
  return cli_usage_error(kCmd, "unknown subcommand '%s' (fit, info)", argv[1]);
}
