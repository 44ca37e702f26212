// test_layers.cpp — libbet's float building blocks against finite differences and hand values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "bet/layers.h"
#include "bnn/rng.h"

namespace {

std::vector<float> randv(size_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  bnn_rng r = bnn_rng_make(seed, 99);
  std::vector<float> v(n);
  for (auto &x : v) x = lo + (hi - lo) * (float)bnn_rng_uniform(&r);
  return v;
}

double dotd(const std::vector<float> &a, const std::vector<float> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (double)a[i] * (double)b[i];
  return s;
}

// Central differences of the scalar f at every element of x, compared with the analytic gradient.
void check_grad(std::vector<float> &x, const std::vector<float> &analytic,
                const std::function<double()> &f, double h, double tol, const char *what) {
  ASSERT_EQ(x.size(), analytic.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float x0 = x[i];
    x[i] = x0 + (float)h;
    const double fp = f();
    x[i] = x0 - (float)h;
    const double fm = f();
    x[i] = x0;
    const double num = (fp - fm) / (2.0 * h);
    EXPECT_NEAR((double)analytic[i], num, tol * (1.0 + std::fabs(num))) << what << " element " << i;
  }
}

}  // namespace

TEST(Layers, DenseGradientsMatchFiniteDifferences) {
  const size_t M = 5, K = 7, N = 3;
  auto x = randv(M * K, 1), w = randv(N * K, 2), r = randv(M * N, 3);
  std::vector<float> y(M * N), dx(M * K), dw(N * K);
  auto f = [&]() {
    bet_dense_forward(x.data(), M, K, w.data(), N, y.data());
    return dotd(y, r);
  };
  bet_dense_backward(x.data(), M, K, w.data(), N, r.data(), dx.data(), dw.data(), 0);
  check_grad(x, dx, f, 1e-2, 1e-3, "dx");
  check_grad(w, dw, f, 1e-2, 1e-3, "dw");
  // accumulate adds to what is there
  std::vector<float> dw2(dw);
  bet_dense_backward(x.data(), M, K, w.data(), N, r.data(), nullptr, dw2.data(), 1);
  for (size_t i = 0; i < dw.size(); ++i) EXPECT_FLOAT_EQ(dw2[i], 2 * dw[i]);
}

TEST(Layers, Im2colHasZeroPaddingAndCol2imIsItsAdjoint) {
  const size_t N = 2, H = 3, W = 4, C = 3;
  auto x = randv(N * H * W * C, 4);
  std::vector<float> cols(N * H * W * 9 * C);
  bet_im2col3x3(x.data(), N, H, W, C, cols.data());
  // Corner (0,0): taps with ky = 0 or kx = 0 are outside → 0; the centre tap is the pixel itself.
  for (size_t c = 0; c < C; ++c) {
    EXPECT_EQ(cols[(0 * 3 + 0) * C + c], 0.0f);
    EXPECT_EQ(cols[(1 * 3 + 0) * C + c], 0.0f);
    EXPECT_EQ(cols[(1 * 3 + 1) * C + c], x[c]);
    EXPECT_EQ(cols[(2 * 3 + 2) * C + c], x[(1 * W + 1) * C + c]);
  }
  auto g = randv(cols.size(), 5);
  std::vector<float> dx(x.size());
  bet_col2im3x3(g.data(), N, H, W, C, dx.data());
  EXPECT_NEAR(dotd(cols, g), dotd(x, dx), 1e-4);
}

namespace {
void bn_check(size_t M, size_t C, uint64_t seed) {
  auto z = randv(M * C, seed, -2.0f, 3.0f), gamma = randv(C, seed + 1, 0.5f, 1.5f),
       beta = randv(C, seed + 2), r = randv(M * C, seed + 3);
  gamma[0] = -gamma[0];  // a negative γ too
  std::vector<float> h(M * C), mean(C), invstd(C), var(C), dz(M * C), dg(C), db(C);
  const float eps = 1e-5f;
  auto f = [&]() {
    bet_bn_forward_train(z.data(), M, C, gamma.data(), beta.data(), eps, h.data(), mean.data(),
                         invstd.data(), var.data());
    return dotd(h, r);
  };
  f();
  bet_bn_backward(z.data(), M, C, gamma.data(), mean.data(), invstd.data(), r.data(), dz.data(),
                  dg.data(), db.data());
  check_grad(z, dz, f, 1e-2, 2e-2, "dz");
  check_grad(gamma, dg, f, 1e-2, 1e-3, "dgamma");
  check_grad(beta, db, f, 1e-2, 1e-3, "dbeta");
}
}  // namespace

TEST(Layers, BatchNorm1dGradientsMatchFiniteDifferences) {
  bn_check(8, 5, 10);
}

TEST(Layers, BatchNorm2dGradientsMatchFiniteDifferences) {
  // 2-d batch norm: a [N][H][W][C] conv output normalised per channel over N·H·W rows.
  bn_check(2 * 3 * 3, 4, 20);
}

TEST(Layers, BatchNormStatisticsAndRunningUpdate) {
  const float z[] = {1, 10, 3, 20, 5, 30};  // M = 3, C = 2
  const float g[] = {1, 1}, b[] = {0, 0};
  float h[6], mean[2], invstd[2], var[2];
  bet_bn_forward_train(z, 3, 2, g, b, 0.0f, h, mean, invstd, var);
  EXPECT_FLOAT_EQ(mean[0], 3.0f);
  EXPECT_FLOAT_EQ(var[0], 8.0f / 3.0f);  // biased
  float rm[2] = {0, 0}, rv[2] = {1, 1};
  bet_bn_update_running(3, 2, mean, var, 0.1f, rm, rv);
  EXPECT_FLOAT_EQ(rm[0], 0.3f);
  EXPECT_FLOAT_EQ(rv[0], 0.9f + 0.1f * 4.0f);  // unbiased: 8/2
  float he[6];
  bet_bn_forward_eval(z, 3, 2, g, b, mean, var, 0.0f, he);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(he[i], h[i], 1e-5);
}

TEST(Layers, ScaleGradientsMatchFiniteDifferences) {
  auto a = randv(12, 30, -50.0f, 50.0f), r = randv(12, 31);
  std::vector<float> y(12), da(12), sv = {0.003f};
  auto f = [&]() {
    bet_scale_forward(a.data(), a.size(), sv[0], y.data());
    return dotd(y, r);
  };
  std::vector<float> ds = {bet_scale_backward(a.data(), a.size(), sv[0], r.data(), da.data())};
  check_grad(sv, ds, f, 1e-3, 1e-3, "ds");
  check_grad(a, da, f, 1e-1, 1e-3, "da");
}

TEST(Layers, CrossEntropyGradientMatchesFiniteDifferences) {
  const size_t M = 4, K = 5;
  auto l = randv(M * K, 40, -3.0f, 3.0f);
  const uint8_t labels[] = {0, 3, 4, 1};
  std::vector<float> dl(M * K);
  const double loss = bet_loss_ce(l.data(), M, K, labels, dl.data());
  EXPECT_GT(loss, 0.0);
  check_grad(
      l, dl, [&]() { return bet_loss_ce(l.data(), M, K, labels, nullptr); }, 1e-3, 1e-3, "dlogits");
  // Uniform logits: loss = ln K.
  std::vector<float> u(K, 0.5f);
  EXPECT_NEAR(bet_loss_ce(u.data(), 1, K, labels, nullptr), std::log((double)K), 1e-9);
}

TEST(Layers, ModifiedHingeLossValueAndGradient) {
  const size_t M = 3, K = 4;
  const float b = 8.0f;
  // Keep away from the kinks at y·ŷ = b.
  std::vector<float> s = {10, -3, 2, -20, 1, 0.5f, -9.5f, 4, -1, 7, 3, 12};
  const uint8_t labels[] = {0, 1, 3};
  std::vector<float> ds(M * K);
  const double loss = bet_loss_mhl(s.data(), M, K, labels, b, ds.data());
  // Hand values of Σ_k max(0, b − y_k·ŷ_k):
  //   sample 0 (y = +,−,−,−): 0 + 5 + 10 + 0 = 15
  //   sample 1 (y = −,+,−,−): 9 + 7.5 + 0 + 12 = 28.5
  //   sample 2 (y = −,−,−,+): 7 + 15 + 11 + 0 = 33
  EXPECT_NEAR(loss, (15.0 + 28.5 + 33.0) / ((double)K * (double)b * (double)M), 1e-9);
  check_grad(
      s, ds, [&]() { return bet_loss_mhl(s.data(), M, K, labels, b, nullptr); }, 1e-2, 1e-4,
      "dscores");
}

TEST(Layers, SignAndStraightThroughMask) {
  const float x[] = {-2.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.0001f, 3.0f};
  const float dy[] = {1, 2, 3, 4, 5, 6, 7, 8};
  float s[8], dx[8];
  bet_sign(x, 8, s);
  const float want_s[] = {-1, -1, -1, 1, 1, 1, 1, 1};  // sign(0) = +1
  bet_ste_backward(x, 8, dy, dx);
  const float want_dx[] = {0, 2, 3, 4, 5, 6, 0, 0};  // gradient only where |x| ≤ 1
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(s[i], want_s[i]) << i;
    EXPECT_EQ(dx[i], want_dx[i]) << i;
  }
}

TEST(Layers, MaxPoolRoutesGradientToTheMaximum) {
  // N=1, H=2, W=4, C=2
  const float in[] = {1, 9, 2, 0, 5, 5, 7, 1, 3, 8, 4, 2, 6, 0, 0, 6};
  float out[4];
  uint32_t am[4];
  bet_maxpool2_forward(in, 1, 2, 4, 2, out, am);
  EXPECT_EQ(out[0], 4);  // ch0 of window (0,0): {1,2,3,4}
  EXPECT_EQ(out[1], 9);  // ch1: {9,0,8,2}
  EXPECT_EQ(out[2], 7);  // ch0 of window (0,1): {5,7,6,0}
  EXPECT_EQ(out[3], 6);  // ch1: {5,1,0,6}
  const float dout[] = {1, 2, 3, 4};
  float din[16];
  bet_maxpool2_backward(dout, 4, am, 16, din);
  float sum = 0;
  for (float v : din) sum += v;
  EXPECT_EQ(sum, 10);
  EXPECT_EQ(din[10], 1);
  EXPECT_EQ(din[1], 2);
  EXPECT_EQ(din[6], 3);
  EXPECT_EQ(din[15], 4);
}

TEST(Layers, AdamStepMatchesHandComputedValues) {
  bet_adam_params p = bet_adam_default_params();
  EXPECT_FLOAT_EQ(p.lr, 1e-3f);
  EXPECT_FLOAT_EQ(p.beta1, 0.9f);
  EXPECT_FLOAT_EQ(p.beta2, 0.999f);
  EXPECT_FLOAT_EQ(p.eps, 1e-8f);
  p.lr = 0.1f;
  float w = 0.5f, m = 0, v = 0;
  float g = 0.2f;
  // t = 1: m = 0.02, v = 4e-5, m̂ = 0.2, v̂ = 0.04 → w −= 0.1·0.2/0.2 = 0.1.
  bet_adam_step(&p, 1, 1, &w, &g, &m, &v);
  EXPECT_NEAR(m, 0.02, 1e-8);
  EXPECT_NEAR(v, 4e-5, 1e-9);
  EXPECT_NEAR(w, 0.4, 1e-6);
  // t = 2, g = −0.1: m = 0.008, v = 4.996e-5 → w = 0.3733663 (computed by hand in double).
  g = -0.1f;
  bet_adam_step(&p, 2, 1, &w, &g, &m, &v);
  EXPECT_NEAR(m, 0.008, 1e-8);
  EXPECT_NEAR(v, 4.996e-5, 1e-9);
  EXPECT_NEAR(w, 0.37336630, 2e-6);
}

TEST(Layers, SignPackUsesTheEngineBitConventionWithZeroPadding) {
  const size_t rows = 3, k = 70;  // two words per row, 58 padding bits
  auto x = randv(rows * k, 70);
  x[5] = 0.0f;  // sign(0) = +1 → bit 0
  std::vector<float> out(rows * k), ref(rows * k);
  std::vector<uint64_t> bits(rows * bet_packed_words(k), ~0ull);
  bet_sign_pack(x.data(), rows, k, out.data(), bits.data());
  bet_sign(x.data(), rows * k, ref.data());
  EXPECT_EQ(out, ref);
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < 128; ++j) {
      const int bit = (int)((bits[r * 2 + j / 64] >> (j % 64)) & 1);
      if (j >= k)
        EXPECT_EQ(bit, 0) << "padding bit " << j;
      else
        EXPECT_EQ(bit, ref[r * k + j] < 0 ? 1 : 0) << r << "," << j;
    }
}

TEST(Layers, XnorGemmEqualsReferenceAndFloatGemmOnRandomShapes) {
  std::printf("bet_xnor_gemm kernel: %s\n", bet_xnor_gemm_kernel());
  const size_t shapes[][3] = {{1, 1, 1},   {5, 3, 63},  {4, 7, 64},   {9, 5, 65},
                              {8, 4, 511}, {7, 9, 512}, {13, 6, 700}, {4, 2, 2048}};
  uint64_t seed = 80;
  for (const auto &sh : shapes) {
    const size_t m = sh[0], n = sh[1], k = sh[2], words = bet_packed_words(k);
    auto xf = randv(m * k, seed++), wf = randv(n * k, seed++);
    std::vector<float> xs(m * k), ws(n * k), yf(m * n), yr(m * n), yx(m * n);
    std::vector<uint64_t> xb(m * words), wbits(n * words);
    bet_sign_pack(xf.data(), m, k, xs.data(), xb.data());
    bet_sign_pack(wf.data(), n, k, ws.data(), wbits.data());
    bet_dense_forward(xs.data(), m, k, ws.data(), n, yf.data());
    bet_xnor_gemm_ref(xb.data(), m, wbits.data(), n, k, yr.data());
    bet_xnor_gemm(xb.data(), m, wbits.data(), n, k, yx.data());
    EXPECT_EQ(yr, yf) << m << "x" << n << "x" << k;
    EXPECT_EQ(yx, yr) << m << "x" << n << "x" << k;
  }
}

TEST(Layers, ThreadedPackAndXnorGemmEqualTheReference) {
  const size_t m = 64, n = 300, k = 2048 + 37, words = bet_packed_words(k);
  auto xf = randv(m * k, 90), wf = randv(n * k, 91);
  std::vector<float> xs(m * k), ws(n * k), ws1(n * k), yr(m * n), yx(m * n);
  std::vector<uint64_t> xb(m * words), wb(n * words), wb1(n * words);
  bet_set_threads(1);
  bet_sign_pack(wf.data(), n, k, ws1.data(), wb1.data());
  bet_set_threads(2);
  bet_sign_pack(xf.data(), m, k, xs.data(), xb.data());
  bet_sign_pack(wf.data(), n, k, ws.data(), wb.data());
  EXPECT_EQ(ws, ws1);
  EXPECT_EQ(wb, wb1);
  bet_xnor_gemm_ref(xb.data(), m, wb.data(), n, k, yr.data());
  bet_xnor_gemm(xb.data(), m, wb.data(), n, k, yx.data());
  bet_set_threads(1);
  EXPECT_EQ(yx, yr);
}

TEST(Layers, FusedLatentWeightUpdateEqualsMaskAdamClip) {
  const size_t n = 100000;  // above the size where the loop is split between threads
  auto w = randv(n, 60, -1.2f, 1.2f), g = randv(n, 61), m = randv(n, 62, -0.01f, 0.01f),
       v = randv(n, 63, 0.0f, 1e-4f);
  auto w2 = w, m2 = m, v2 = v;
  bet_adam_params p = bet_adam_default_params();
  p.lr = 0.05f;
  bet_set_threads(2);
  bet_adam_step_latent(&p, 3, n, w.data(), g.data(), m.data(), v.data());
  bet_set_threads(1);
  std::vector<float> g2(g);
  for (size_t i = 0; i < n; ++i)
    if (std::fabs(w2[i]) > 1.0f) g2[i] = 0.0f;  // STE of sign(w): no gradient beyond ±1
  bet_adam_step(&p, 3, n, w2.data(), g2.data(), m2.data(), v2.data());
  for (size_t i = 0; i < n; ++i) {
    w2[i] = std::fmax(-1.0f, std::fmin(1.0f, w2[i]));
    ASSERT_EQ(w[i], w2[i]) << i;
    ASSERT_EQ(m[i], m2[i]) << i;
    ASSERT_EQ(v[i], v2[i]) << i;
  }
}

// The AVX-512 latent update and its plain twin perform the same float operations: bit-identical,
// on a length with a tail that is not a multiple of 16 and weights beyond ±1 (no gradient there).
TEST(Layers, LatentAdamFastEqualsReferenceBitForBit) {
  const size_t n = 70001;
  auto w = randv(n, 64, -1.3f, 1.3f), g = randv(n, 65, -0.1f, 0.1f),
       m = randv(n, 66, -0.01f, 0.01f), v = randv(n, 67, 0.0f, 1e-4f);
  auto w2 = w, m2 = m, v2 = v;
  bet_adam_params p = bet_adam_default_params();
  p.lr = 0.02f;
  bet_set_threads(2);
  for (uint64_t t = 1; t <= 3; ++t) {
    bet_adam_step_latent(&p, t, n, w.data(), g.data(), m.data(), v.data());
    bet_adam_step_latent_ref(&p, t, n, w2.data(), g.data(), m2.data(), v2.data());
  }
  bet_set_threads(1);
  size_t clipped = 0;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(w[i], w2[i]) << i;
    ASSERT_EQ(m[i], m2[i]) << i;
    ASSERT_EQ(v[i], v2[i]) << i;
    clipped += std::fabs(w[i]) == 1.0f;
  }
  EXPECT_GT(clipped, 0u);  // the clip was exercised
}

// u8 × s8 products: the packed kernel (VNNI or its scalar twin) equals the obvious loop exactly,
// and with scale 1 equals sgemm on the same small integers (exact in float); odd shapes exercise
// the row, neuron and input tails; 2 threads split the neuron blocks.
TEST(Layers, U8S8GemmEqualsReferenceAndFloatGemm) {
  std::printf("bet_u8s8_gemm kernel: %s\n", bet_u8s8_gemm_kernel());
  const size_t shapes[][3] = {{1, 1, 1},   {3, 5, 7},    {4, 16, 4},    {5, 17, 9},
                              {9, 33, 63}, {8, 48, 784}, {13, 70, 130}, {64, 300, 785}};
  bnn_rng r = bnn_rng_make(71, 1);
  for (int threads = 1; threads <= 2; ++threads) {
    bet_set_threads(threads);
    for (const auto &sh : shapes) {
      const size_t m = sh[0], n = sh[1], k = sh[2], kp = (k + 3) / 4 * 4;
      std::vector<uint8_t> x(m * k), xq(m * kp, 0);
      std::vector<float> xf(m * k), w(n * k), yr(m * n), yx(m * n, -7.0f), yf(m * n);
      for (size_t i = 0; i < m * k; ++i) xf[i] = x[i] = (uint8_t)bnn_rng_below(&r, 256);
      for (size_t i = 0; i < m; ++i)
        for (size_t t = 0; t < k; ++t) xq[i * kp + t] = x[i * k + t];
      for (auto &v : w) v = bnn_rng_below(&r, 2) ? 1.0f : -1.0f;
      std::vector<int8_t> wq(bet_s8_packed_size(n, k));
      bet_s8_pack(w.data(), n, k, wq.data());
      bet_u8s8_gemm_ref(x.data(), m, k, w.data(), n, 1.0f, yr.data());
      bet_u8s8_gemm(xq.data(), m, k, wq.data(), n, 1.0f, yx.data());
      bet_dense_forward(xf.data(), m, k, w.data(), n, yf.data());
      EXPECT_EQ(yx, yr) << m << "x" << n << "x" << k << " threads " << threads;
      EXPECT_EQ(yr, yf) << m << "x" << n << "x" << k;
      bet_u8s8_gemm_ref(x.data(), m, k, w.data(), n, 1.0f / 255.0f, yr.data());
      bet_u8s8_gemm(xq.data(), m, k, wq.data(), n, 1.0f / 255.0f, yx.data());
      EXPECT_EQ(yx, yr) << m << "x" << n << "x" << k << " scaled";
    }
  }
  bet_set_threads(1);
}

TEST(Layers, FoldThresholdAgreesWithBatchNormSignOverTheWholeRange) {
  bnn_rng r = bnn_rng_make(7, 7);
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t reach = 1 + (int64_t)bnn_rng_below(&r, 60);
    const double in_scale = trial % 2 ? 255.0 : 1.0;
    double gamma = 2 * bnn_rng_uniform(&r) - 1;
    if (trial % 10 == 0) gamma = 0.0;
    const double beta = 2 * bnn_rng_uniform(&r) - 1;
    const double mean = (2 * bnn_rng_uniform(&r) - 1) * (double)reach / in_scale;
    const double var = trial % 7 == 0 ? 1e-12 : bnn_rng_uniform(&r) * (double)reach;
    const double eps = 1e-5;
    int32_t t;
    int8_t d;
    ASSERT_TRUE(bet_fold_threshold(gamma, beta, mean, var, eps, in_scale, reach, &t, &d));
    EXPECT_GE(t, -reach - 1);
    EXPECT_LE(t, reach + 1);
    for (int64_t a = -reach; a <= reach; ++a) {
      const double hval = gamma * ((double)a / in_scale - mean) / std::sqrt(var + eps) + beta;
      const bool want = hval >= 0.0;
      const bool got = d > 0 ? a >= t : a <= t;
      // Exactly-on-the-boundary values may round either way in double; skip those.
      if (std::fabs(hval) < 1e-9) continue;
      ASSERT_EQ(want, got) << "trial " << trial << " a " << a << " t " << t << " d " << (int)d;
    }
  }
}

TEST(Layers, FoldThresholdEdgeCases) {
  int32_t t;
  int8_t d;
  // γ = 0: constant sign(β).
  ASSERT_TRUE(bet_fold_threshold(0.0, 0.5, 3.0, 1.0, 1e-5, 1.0, 10, &t, &d));
  EXPECT_EQ(d, 1);
  EXPECT_EQ(t, -10);  // a ≥ −10 always
  ASSERT_TRUE(bet_fold_threshold(0.0, -0.5, 3.0, 1.0, 1e-5, 1.0, 10, &t, &d));
  EXPECT_EQ(t, 11);  // never
  // Threshold far beyond the reach is clamped to reach + 1 / −reach − 1.
  ASSERT_TRUE(bet_fold_threshold(1e-9, -1.0, 0.0, 1.0, 1e-5, 1.0, 10, &t, &d));
  EXPECT_EQ(d, 1);
  EXPECT_EQ(t, 11);
  ASSERT_TRUE(bet_fold_threshold(-1e-9, -1.0, 0.0, 1.0, 1e-5, 1.0, 10, &t, &d));
  EXPECT_EQ(d, -1);
  EXPECT_EQ(t, -11);
  // γ < 0 flips the comparison: h ≥ 0 ⟺ z ≤ μ − βσ/γ = 2 + 0.5 = 2.5 → a ≤ 2.
  ASSERT_TRUE(bet_fold_threshold(-2.0, 1.0, 2.0, 1.0 - 1e-5, 1e-5, 1.0, 10, &t, &d));
  EXPECT_EQ(d, -1);
  EXPECT_EQ(t, 2);
  // First layer in pixel units: z = a/255 ≥ 0.5 ⟺ a ≥ 127.5 → 128.
  ASSERT_TRUE(bet_fold_threshold(1.0, 0.0, 0.5, 1.0 - 1e-5, 1e-5, 255.0, 255 * 4, &t, &d));
  EXPECT_EQ(d, 1);
  EXPECT_EQ(t, 128);
  // Non-finite statistics are refused.
  EXPECT_FALSE(bet_fold_threshold(1.0, 0.0, NAN, 1.0, 1e-5, 1.0, 10, &t, &d));
}

// Batch norm fused with the sign and bit packing of its output: bit-identical to the unfused
// sequence on 1 and 2 threads, on the FCNN's shape (2048 channels: 4 slabs of 512, the AVX-512
// rows) and on odd ones (channels not a multiple of 64 or 16, a slab tail, a single row); exact
// ties h = 0 (γ = 0 with β = 0, and −0) take the +1 convention.
TEST(Layers, FusedBatchNormSignPackEqualsTheUnfusedSequence) {
  const size_t shapes[][2] = {{256, 2048}, {37, 1100}, {5, 70}, {1, 64}};
  for (const auto &sh : shapes) {
    const size_t m = sh[0], c = sh[1], words = bet_packed_words(c);
    auto z = randv(m * c, 200 + c, -3.0f, 5.0f), g = randv(c, 201), b = randv(c, 202);
    g[0] = 0.0f;
    b[0] = 0.0f;  // h = 0·… + 0: a tie
    if (c > 1) b[1] = -0.0f, g[1] = 0.0f;
    std::vector<float> hr(m * c), ar(m * c), mr(c), ir(c), vr(c);
    std::vector<uint64_t> br(m * words, ~0ull);
    bet_set_threads(1);
    bet_bn_sign_pack_train_ref(z.data(), m, c, g.data(), b.data(), 1e-5f, hr.data(), mr.data(),
                               ir.data(), vr.data(), ar.data(), br.data());
    for (int t = 1; t <= 2; ++t) {
      bet_set_threads(t);
      std::vector<float> h(m * c), a(m * c), mu(c), is(c), v(c);
      std::vector<uint64_t> bits(m * words, ~0ull);
      bet_bn_sign_pack_train(z.data(), m, c, g.data(), b.data(), 1e-5f, h.data(), mu.data(),
                             is.data(), v.data(), a.data(), bits.data());
      EXPECT_EQ(h, hr) << m << "x" << c << " threads " << t;
      EXPECT_EQ(a, ar) << m << "x" << c << " threads " << t;
      EXPECT_EQ(mu, mr) << m << "x" << c;
      EXPECT_EQ(is, ir) << m << "x" << c;
      EXPECT_EQ(v, vr) << m << "x" << c;
      EXPECT_EQ(bits, br) << m << "x" << c << " threads " << t;
    }
    bet_set_threads(1);
    EXPECT_EQ(ar[0], 1.0f);  // the tie: sign(0) = +1
  }
}

// The STE fused into the batch norm's backward pass: the same dz, dγ, dβ as bet_ste_backward +
// bet_bn_backward bit for bit, 1 and 2 threads, with h beyond ±1 (no gradient there) and exactly
// ±1 (gradient passes), on the FCNN's shape and odd ones.
TEST(Layers, FusedSteBatchNormBackwardEqualsTheUnfusedSequence) {
  const size_t shapes[][2] = {{256, 2048}, {37, 1100}, {5, 70}, {2, 16}};
  for (const auto &sh : shapes) {
    const size_t m = sh[0], c = sh[1];
    auto z = randv(m * c, 300 + c, -3.0f, 5.0f), h = randv(m * c, 301, -2.0f, 2.0f),
         dx = randv(m * c, 302, -0.01f, 0.01f), g = randv(c, 303, 0.5f, 1.5f), mean = randv(c, 304),
         is = randv(c, 305, 0.2f, 2.0f);
    h[0] = 1.0f;
    h[m * c - 1] = -1.0f;
    std::vector<float> dh(m * c), dzr(m * c), dgr(c), dbr(c);
    bet_set_threads(1);
    bet_ste_bn_backward_ref(h.data(), dx.data(), z.data(), m, c, g.data(), mean.data(), is.data(),
                            dh.data(), dzr.data(), dgr.data(), dbr.data());
    size_t masked = 0;
    for (size_t i = 0; i < m * c; ++i) masked += std::fabs(h[i]) > 1.0f;
    EXPECT_GT(masked, 0u);
    for (int t = 1; t <= 2; ++t) {
      bet_set_threads(t);
      std::vector<float> dz(m * c), dg(c), db(c);
      bet_ste_bn_backward(h.data(), dx.data(), z.data(), m, c, g.data(), mean.data(), is.data(),
                          dz.data(), dg.data(), db.data());
      EXPECT_EQ(dz, dzr) << m << "x" << c << " threads " << t;
      EXPECT_EQ(dg, dgr) << m << "x" << c << " threads " << t;
      EXPECT_EQ(db, dbr) << m << "x" << c << " threads " << t;
    }
    bet_set_threads(1);
  }
}

// Float × ±1 products: the threaded kernel (AVX-512 tables or the reference loops) equals the
// plain reference bit for bit on 1 and 2 threads, in both operand layouts of the backward pass
// (dW = δᵀ·X: A(t, r) = δ[t][r]; dX = δ·W: A(t, r) = δ[r][t]), on the FCNN's shapes and on odd
// ones (rows not a multiple of 4, columns not of 64, a reduction not of 4); and equals the
// double-precision sum within float rounding (the ±1 products are exact, only the association
// differs from a GEMM).
TEST(Layers, Pm1GemmEqualsReferenceAndTheExactSum) {
  struct Shape {
    size_t nr, nt, ni;
  };
  const Shape shapes[] = {
      {2048, 256, 2048}, {256, 2048, 2048}, {10, 37, 130}, {7, 5, 64}, {4, 1, 3}};
  for (const auto &sh : shapes) {
    const size_t words = bet_packed_words(sh.ni);
    auto sf = randv(sh.nt * sh.ni, 400 + sh.nt, -1.0f, 1.0f);
    std::vector<float> sv(sh.nt * sh.ni);
    std::vector<uint64_t> sb(sh.nt * words);
    bet_set_threads(1);
    bet_sign_pack(sf.data(), sh.nt, sh.ni, sv.data(), sb.data());
    for (int layout = 0; layout < 2; ++layout) {
      auto a = randv(sh.nt * sh.nr, 401 + layout, -1e-3f, 1e-3f);
      const size_t sa_t = layout == 0 ? sh.nr : 1, sa_r = layout == 0 ? 1 : sh.nt;
      std::vector<float> yr(sh.nr * sh.ni, 7.0f);
      bet_set_threads(1);
      bet_pm1_gemm_ref(a.data(), sa_t, sa_r, sb.data(), sh.nr, sh.nt, sh.ni, yr.data());
      for (int t = 1; t <= 2; ++t) {
        bet_set_threads(t);
        std::vector<float> y(sh.nr * sh.ni, 7.0f);
        ASSERT_EQ(bet_pm1_gemm(a.data(), sa_t, sa_r, sb.data(), sh.nr, sh.nt, sh.ni, y.data()), 0);
        ASSERT_EQ(y, yr) << sh.nr << "x" << sh.nt << "x" << sh.ni << " layout " << layout
                         << " threads " << t;
      }
      bet_set_threads(1);
      // against the exact sum, on a sample of outputs (all of them for the small shapes)
      const size_t step = sh.nr * sh.ni > 100000 ? 97 : 1;
      for (size_t o = 0; o < sh.nr * sh.ni; o += step) {
        const size_t r = o / sh.ni, i = o % sh.ni;
        double exact = 0.0, mag = 0.0;
        for (size_t t = 0; t < sh.nt; ++t) {
          const double v = (double)a[t * sa_t + r * sa_r] * (double)sv[t * sh.ni + i];
          exact += v;
          mag += std::fabs(v);
        }
        ASSERT_NEAR(yr[o], exact, 1e-6 * mag + 1e-12) << "output " << o;
      }
    }
  }
}

// libbet's threads come from a pool that serves one caller at a time; callers on other threads of
// the program meanwhile start their own threads. Two program threads running threaded kernels at
// once, many times over, get the single-threaded results every time (and nothing hangs).
TEST(Layers, ParallelCallsFromTwoProgramThreadsGiveTheSingleThreadedResults) {
  const size_t m = 256, n = 96, k = 2048, words = bet_packed_words(k);  // both split in 2
  auto xf = randv(m * k, 500), wf = randv(n * k, 501);
  std::vector<float> xs(m * k), ws(n * k), want(m * n);
  std::vector<uint64_t> xb(m * words), wb(n * words);
  bet_set_threads(1);
  bet_sign_pack(xf.data(), m, k, xs.data(), xb.data());
  bet_sign_pack(wf.data(), n, k, ws.data(), wb.data());
  bet_xnor_gemm_ref(xb.data(), m, wb.data(), n, k, want.data());
  bet_set_threads(2);
  int bad[2] = {0, 0};
  auto work = [&](int id) {
    std::vector<float> y(m * n), s(m * k);
    std::vector<uint64_t> b(m * words);
    for (int r = 0; r < 200; ++r) {
      bet_sign_pack(xf.data(), m, k, s.data(), b.data());
      bet_xnor_gemm(b.data(), m, wb.data(), n, k, y.data());
      bad[id] += b != xb || y != want;
    }
  };
  std::thread t0(work, 0), t1(work, 1);
  t0.join();
  t1.join();
  bet_set_threads(1);
  EXPECT_EQ(bad[0], 0);
  EXPECT_EQ(bad[1], 0);
}
