// test_device.cpp — the C11 device model: normal tail, analytic BER, endurance hazard, the fit and
// its quality checks (poor, unphysical, degenerate point sets).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "rramsim/device.h"

TEST(Device, NormalTailAndInverse) {
  EXPECT_NEAR(rr_normal_q(0.0), 0.5, 1e-15);
  EXPECT_NEAR(rr_normal_q(1.959963984540054), 0.025, 1e-12);
  for (double p : {1e-12, 1e-7, 1e-3, 0.033, 0.2, 0.5, 0.9}) {
    double z = rr_normal_q_inv(p);
    EXPECT_NEAR(rr_normal_q(z) / p, 1.0, 1e-9) << p;
  }
}

TEST(Device, AnalyticBerFormulas) {
  rr_analytic a = rr_analytic_default_params();
  double p01, p10;
  // 2T2R at i0: z = ln(100/5) / sqrt(0.25² + 0.6²), symmetric.
  rr_analytic_ber(&a, RR_CELL_2T2R, a.i0_ua, &p01, &p10);
  double z = std::log(100.0 / 5.0) / std::sqrt(0.25 * 0.25 + 0.6 * 0.6);
  EXPECT_DOUBLE_EQ(p01, p10);
  EXPECT_NEAR(p01, 0.5 * std::erfc(z / std::sqrt(2.0)), 1e-15);
  // 1T1R: LRS against the 20 kΩ reference; HRS independent of the current.
  rr_analytic_ber(&a, RR_CELL_1T1R, a.i0_ua / 4, &p01, &p10);
  double lrs = 5.0 * 4.0, s = 0.25 * 2.0;  // (1/4)^-1 and (1/4)^-0.5
  EXPECT_NEAR(p10, rr_normal_q((std::log(20.0) - std::log(lrs)) / s), 1e-15);
  EXPECT_NEAR(p01, rr_normal_q((std::log(100.0) - std::log(20.0)) / 0.6), 1e-15);
  // Less current → more errors.
  double lo01, lo10, hi01, hi10;
  rr_analytic_ber(&a, RR_CELL_2T2R, 50, &lo01, &lo10);
  rr_analytic_ber(&a, RR_CELL_2T2R, 400, &hi01, &hi10);
  EXPECT_GT(lo01, hi01);
}

TEST(Device, EnduranceHazardMatchesLifetimeDistribution) {
  // Survival after w writes = Π (1 − h(k)) must equal Q((ln w − ln median)/sigma).
  const double med = 50, sig = 0.5;
  double surv = 1.0;
  for (uint64_t w = 1; w <= 200; ++w) {
    surv *= 1.0 - rr_endurance_hazard(med, sig, w);
    EXPECT_NEAR(surv, rr_normal_q((std::log(static_cast<double>(w)) - std::log(med)) / sig), 1e-9);
  }
  EXPECT_EQ(rr_endurance_hazard(0.0, 1.0, 10), 0.0);
}

TEST(Device, EnergyCurrentRoundTrip) {
  double e = rr_prog_energy_pj(RR_CELL_2T2R, 200, 1.2, 50);
  EXPECT_DOUBLE_EQ(e, 24.0);  // 2 devices · 200 µA · 1.2 V · 50 ns
  EXPECT_NEAR(rr_prog_current_ua(RR_CELL_2T2R, e, 1.2, 50), 200.0, 1e-12);
}

static void fit_recovers(rr_cell_type cell) {
  rr_fit_params p = rr_fit_default_params();
  p.cell = cell;
  rr_analytic truth = p.start;
  truth.lrs_median_kohm = 8.0;
  truth.lrs_slope = 1.3;
  truth.lrs_sigma = 0.35;
  truth.lrs_sigma_slope = 0.4;
  std::vector<double> e, b;
  for (double i : {30.0, 40.0, 55.0, 70.0, 90.0, 120.0, 160.0, 200.0}) {
    double en = rr_prog_energy_pj(cell, i, p.prog_voltage_v, p.prog_pulse_ns);
    double ber = rr_fit_model_ber(&p, &truth, en);
    if (ber > 1e-12 && ber < 0.5) {
      e.push_back(en);
      b.push_back(ber);
    }
  }
  ASSERT_GE(e.size(), 5u);
  rr_fit_result r;
  ASSERT_EQ(rr_device_fit(&p, e.data(), b.data(), e.size(), &r), BNN_OK);
  EXPECT_LT(r.rms_probit, 1e-3);
  EXPECT_LT(r.max_rel_err, 0.01);
  // Predictions between the points hold too.
  for (double i : {35.0, 100.0}) {
    double en = rr_prog_energy_pj(cell, i, p.prog_voltage_v, p.prog_pulse_ns);
    double want = rr_fit_model_ber(&p, &truth, en), got = rr_fit_model_ber(&p, &r.model, en);
    EXPECT_NEAR(got / want, 1.0, 0.02) << i;
  }
}

TEST(Device, FitRecoversKnownModel2T2R) {
  fit_recovers(RR_CELL_2T2R);
}
TEST(Device, FitRecoversKnownModel1T1R) {
  fit_recovers(RR_CELL_1T1R);
}

TEST(Device, FitRejectsBadPoints) {
  rr_fit_params p = rr_fit_default_params();
  double e[4] = {1, 2, 3, 4}, b[4] = {0.1, 0.01, 0.7, 0.001};
  rr_fit_result r;
  EXPECT_EQ(rr_device_fit(&p, e, b, 4, &r), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg()).find("point 3"), std::string::npos);
  EXPECT_EQ(rr_device_fit(&p, e, b, 3, &r), BNN_E_ARG);
}

// Issue 14: an energy that means an impossible current (1e308 pJ: infinite) was fitted and
// printed as if the fit meant something.
TEST(Device, FitRefusesImpossibleCurrents) {
  rr_fit_params p = rr_fit_default_params();
  rr_fit_result r;
  const double b[4] = {0.1, 0.01, 0.001, 0.0001};
  const double huge_e[4] = {1e308, 2e307, 3e307, 4e307};
  EXPECT_EQ(rr_device_fit(&p, huge_e, b, 4, &r), BNN_E_RANGE);
  EXPECT_NE(std::string(bnn_errmsg()).find("point 1: 1e+308 pJ means a programming current of inf"),
            std::string::npos)
      << bnn_errmsg();
  const double ok_e[4] = {1, 2, 3, 4};
  EXPECT_EQ(rr_device_fit(&p, ok_e, b, 4, &r), BNN_OK) << bnn_errmsg();
}

TEST(Device, NameTables) {
  rr_cell_type c;
  EXPECT_TRUE(rr_cell_type_parse("2t2r", &c));
  EXPECT_EQ(c, RR_CELL_2T2R);
  EXPECT_FALSE(rr_cell_type_parse("3T3R", &c));
  rr_verify_policy v;
  EXPECT_TRUE(rr_verify_policy_parse("iterative", &v));
  EXPECT_STREQ(rr_verify_policy_name(v), "iterative");
}

TEST(Device, FitRejectsDegeneratePointSets) {
  rr_fit_params p = rr_fit_default_params();
  rr_fit_result r;
  const double one_e[4] = {2, 2, 2, 2}, b[4] = {0.1, 0.01, 0.05, 0.001};
  EXPECT_EQ(rr_device_fit(&p, one_e, b, 4, &r), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg()).find("all 4 points are at one energy (2 pJ)"),
            std::string::npos)
      << bnn_errmsg();
  const double same_b[4] = {0.01, 0.01, 0.01, 0.01};  // all points equal
  EXPECT_EQ(rr_device_fit(&p, one_e, same_b, 4, &r), BNN_E_ARG);
  // Two energies are enough to try.
  const double two_e[4] = {1, 1, 4, 4}, two_b[4] = {0.02, 0.03, 0.001, 0.002};
  EXPECT_EQ(rr_device_fit(&p, two_e, two_b, 4, &r), BNN_OK) << bnn_errmsg();
}

// A model recovered from its own BERs passes; noisy points are a poor fit; points whose BER falls
// steeply with energy are best fitted with LRS resistance rising with current (unphysical).
TEST(Device, FitCheckFlagsPoorAndUnphysicalFits) {
  rr_fit_params p = rr_fit_default_params();
  rr_analytic truth = p.start;
  truth.lrs_median_kohm = 8.0, truth.lrs_slope = 1.3, truth.lrs_sigma = 0.35,
  truth.lrs_sigma_slope = 0.4;
  std::vector<double> e, b;
  for (double i : {40.0, 55.0, 70.0, 90.0, 120.0, 160.0}) {
    const double en = rr_prog_energy_pj(p.cell, i, p.prog_voltage_v, p.prog_pulse_ns);
    e.push_back(en);
    b.push_back(rr_fit_model_ber(&p, &truth, en));
  }
  rr_fit_result r;
  ASSERT_EQ(rr_device_fit(&p, e.data(), b.data(), e.size(), &r), BNN_OK);
  EXPECT_EQ(rr_fit_check(&r), 0u) << r.rms_probit << " " << r.max_rel_err;

  const double ze[5] = {1, 2, 3, 4, 5}, zb[5] = {0.01, 0.2, 0.001, 0.3, 0.0001};
  ASSERT_EQ(rr_device_fit(&p, ze, zb, 5, &r), BNN_OK);
  EXPECT_GT(r.rms_probit, RR_FIT_MAX_RMS_PROBIT);
  EXPECT_NE(rr_fit_check(&r) & (RR_FIT_POOR_RMS | RR_FIT_POOR_REL), 0u);

  const double ue[4] = {0.5, 1, 2, 4}, ub[4] = {0.03, 0.01, 0.002, 0.0003};
  ASSERT_EQ(rr_device_fit(&p, ue, ub, 4, &r), BNN_OK);
  EXPECT_LT(r.model.lrs_slope, RR_FIT_MIN_LRS_SLOPE);
  EXPECT_EQ(rr_fit_check(&r), unsigned{RR_FIT_LRS_RISES}) << r.rms_probit;

  // Each limit on its own, and non-finite figures count as failing.
  rr_fit_result ok = {};
  ok.model = truth;
  ok.rms_probit = RR_FIT_MAX_RMS_PROBIT;
  ok.max_rel_err = RR_FIT_MAX_REL_ERR;
  EXPECT_EQ(rr_fit_check(&ok), 0u);  // at the limits: still fine
  rr_fit_result t = ok;
  t.rms_probit = std::nan("");
  EXPECT_EQ(rr_fit_check(&t), unsigned{RR_FIT_POOR_RMS});
  t = ok;
  t.max_rel_err = 1.5;
  EXPECT_EQ(rr_fit_check(&t), unsigned{RR_FIT_POOR_REL});
  t = ok;
  t.model.lrs_slope = -0.01;
  EXPECT_EQ(rr_fit_check(&t), unsigned{RR_FIT_LRS_RISES});
  t.model.lrs_slope = -1e-4;  // rounding around 0 is not flagged
  EXPECT_EQ(rr_fit_check(&t), 0u);
  EXPECT_EQ(rr_fit_check(nullptr), 0u);
}
