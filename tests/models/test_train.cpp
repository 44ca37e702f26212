// test_train.cpp — libbet training: flip gradients, learning a tiny data set, determinism,
// checkpoints and resume, evaluation with the engine's arithmetic, and bad parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bet/bet.h"
#include "bet/layers.h"
#include "fixtures.hpp"

using bettest::make_net;
using bettest::tmp_path;
using Synth = bettest::SynthData;  // horizontal bands, the default SynthSpec

TEST(Arch, ParsesNamedAndWidthNets) {
  bet_arch a;
  ASSERT_EQ(bet_arch_parse("fcnn", 10, &a), BNN_OK);
  EXPECT_EQ(a.n_layers, 3u);
  EXPECT_EQ(a.layers[0].n_out, 2048u);
  ASSERT_EQ(bet_arch_parse("vgg3", 10, &a), BNN_OK);
  EXPECT_EQ(a.n_layers, 4u);
  EXPECT_EQ(a.layers[0].kind, BET_CONV3X3);
  EXPECT_EQ(a.layers[1].pool, 1);
  ASSERT_EQ(bet_arch_parse("vgg7", 10, &a), BNN_OK);
  EXPECT_EQ(a.n_layers, 8u);
  ASSERT_EQ(bet_arch_parse("784-2048-2048-10", 10, &a), BNN_OK);
  EXPECT_EQ(a.n_layers, 3u);
  EXPECT_EQ(a.layers[2].n_out, 10u);
  EXPECT_NE(bet_arch_parse("784-2048-2048-9", 10, &a), BNN_OK);
  EXPECT_NE(std::strstr(bnn_errmsg(), "10 classes"), nullptr) << bnn_errmsg();
  EXPECT_NE(bet_arch_parse("resnet", 10, &a), BNN_OK);
  EXPECT_NE(bet_arch_parse("784--10", 10, &a), BNN_OK);
  EXPECT_NE(bet_arch_parse("784-0-10", 10, &a), BNN_OK);
  EXPECT_NE(bet_arch_parse("784-10x", 10, &a), BNN_OK);
  // VGG3 on 28×28×1: 7×7×64 = 3136.
  ASSERT_EQ(bet_arch_parse("vgg3", 10, &a), BNN_OK);
  bet_net *v3 = nullptr;
  ASSERT_EQ(bet_net_create(&v3, &a, 1, 28, 28, 10, 1), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(bet_net_fan_in(v3, 2), 3136u);
  bet_net_free(v3);
  // The declared input width must match the images.
  ASSERT_EQ(bet_arch_parse("100-10", 10, &a), BNN_OK);
  bet_net *net = nullptr;
  EXPECT_EQ(bet_net_create(&net, &a, 1, 28, 28, 10, 1), BNN_E_SHAPE);
  EXPECT_EQ(net, nullptr);
}

TEST(Params, BadHyperparametersAreRefusedWithTheirName) {
  struct Case {
    void (*set)(bet_train_params *);
    const char *name;
  } cases[] = {
      {[](bet_train_params *p) { p->lr = 0; }, "lr"},
      {[](bet_train_params *p) { p->lr = NAN; }, "lr"},
      {[](bet_train_params *p) { p->batch = 0; }, "batch"},
      {[](bet_train_params *p) { p->epochs = 0; }, "epochs"},
      {[](bet_train_params *p) { p->gamma = 1.5; }, "gamma"},
      {[](bet_train_params *p) { p->flip_p = 0.7; }, "flip-p"},
      {[](bet_train_params *p) { p->flip_p = -0.1; }, "flip-p"},
      {[](bet_train_params *p) { p->mhl_b = 0; }, "mhl-b"},
      {[](bet_train_params *p) { p->threads = 0; }, "threads"},
      {[](bet_train_params *p) { p->bn_eps = 0; }, "bn-eps"},
      {[](bet_train_params *p) { p->loss = (bet_loss)7; }, "loss"},
      {[](bet_train_params *p) { p->flip_grad = (bet_flip_grad)7; }, "flip-grad"},
  };
  for (const auto &c : cases) {
    bet_train_params p = bet_train_default_params();
    ASSERT_EQ(bet_train_params_check(&p), BNN_OK);
    c.set(&p);
    EXPECT_NE(bet_train_params_check(&p), BNN_OK) << c.name;
    EXPECT_EQ(std::strncmp(bnn_errmsg(), c.name, std::strlen(c.name)), 0) << bnn_errmsg();
  }
}

TEST(Train, DataThatDoesNotFitTheNetIsRefused) {
  Synth s(8, 1, 4, 4, 2, 1);
  bet_net *net = make_net("16-8-2", s.d, 1);
  Synth other(8, 1, 5, 4, 2, 1);
  bet_train_params p = bet_train_default_params();
  bet_epoch_stats st;
  EXPECT_EQ(bet_train_epoch(net, &other.d, &p, nullptr, nullptr, &st), BNN_E_SHAPE);
  EXPECT_NE(std::strstr(bnn_errmsg(), "synthetic"), nullptr) << bnn_errmsg();
  s.labels[3] = 5;  // label beyond the classes
  EXPECT_EQ(bet_train_epoch(net, &s.d, &p, nullptr, nullptr, &st), BNN_E_FORMAT);
  bet_net_free(net);
}

// Both flip-gradient modes on a tiny net: the same seed and step give the same flips; the gradient
// reaching a flipped binarized weight is negated in `sign` mode and unchanged in `straight` mode,
// and every other weight gets the same gradient in both.
TEST(Train, FlipGradientModesNegateOrPassTheFlippedWeightsGradient) {
  Synth s(16, 1, 3, 3, 2, 5);
  bet_train_params p = bet_train_default_params();
  p.flip_p = 0.3;
  p.batch = 16;
  std::vector<uint32_t> idx(16);
  for (uint32_t i = 0; i < 16; ++i) idx[i] = i;
  bet_net *a = make_net("9-6-2", s.d, 3), *b = make_net("9-6-2", s.d, 3);
  p.flip_grad = BET_FLIP_GRAD_SIGN;
  ASSERT_EQ(bet_train_step(a, &s.d, idx.data(), 16, &p, nullptr, nullptr), BNN_OK);
  p.flip_grad = BET_FLIP_GRAD_STRAIGHT;
  ASSERT_EQ(bet_train_step(b, &s.d, idx.data(), 16, &p, nullptr, nullptr), BNN_OK);
  size_t total_flips = 0, nonzero_flipped = 0;
  for (uint32_t l = 0; l < 2; ++l) {
    size_t na = 0, nb = 0;
    const uint64_t *fa = bet_net_last_flips(a, l, &na);
    const uint64_t *fb = bet_net_last_flips(b, l, &nb);
    ASSERT_EQ(na, nb);
    std::vector<char> flipped(bet_net_n_out(a, l) * bet_net_fan_in(a, l), 0);
    for (size_t i = 0; i < na; ++i) {
      ASSERT_EQ(fa[i], fb[i]);
      flipped[fa[i]] = 1;
    }
    total_flips += na;
    const float *ga = bet_net_last_wgrad(a, l), *gb = bet_net_last_wgrad(b, l);
    for (size_t i = 0; i < flipped.size(); ++i) {
      if (flipped[i]) {
        EXPECT_EQ(ga[i], -gb[i]) << "layer " << l << " weight " << i;
        nonzero_flipped += gb[i] != 0.0f;
      } else {
        EXPECT_EQ(ga[i], gb[i]) << "layer " << l << " weight " << i;
      }
    }
  }
  EXPECT_GT(total_flips, 5u);  // 66 weights at p = 0.3
  EXPECT_GT(nonzero_flipped, 0u);
  // Without flips nothing is recorded.
  p.flip_p = 0.0;
  ASSERT_EQ(bet_train_step(a, &s.d, idx.data(), 16, &p, nullptr, nullptr), BNN_OK);
  size_t n0 = 1;
  bet_net_last_flips(a, 0, &n0);
  EXPECT_EQ(n0, 0u);
  // flip-layers selects the layers: only the output layer here.
  p.flip_p = 0.3;
  p.flip_layers = 2;
  ASSERT_EQ(bet_train_step(a, &s.d, idx.data(), 16, &p, nullptr, nullptr), BNN_OK);
  size_t n1 = 0;
  bet_net_last_flips(a, 0, &n0);
  bet_net_last_flips(a, 1, &n1);
  EXPECT_EQ(n0, 0u);
  EXPECT_GT(n1, 0u);
  bet_net_free(a);
  bet_net_free(b);
}

// The flips change the forward pass: with p = 0.5 on every weight the loss differs from the clean
// step on an identical net.
TEST(Train, FlipsChangeTheForwardPassButNotTheLatentWeights) {
  Synth s(16, 1, 3, 3, 2, 6);
  bet_train_params p = bet_train_default_params();
  p.batch = 16;
  std::vector<uint32_t> idx(16);
  for (uint32_t i = 0; i < 16; ++i) idx[i] = i;
  bet_net *a = make_net("9-6-2", s.d, 4), *b = make_net("9-6-2", s.d, 4);
  double la = 0, lb = 0;
  ASSERT_EQ(bet_train_step(a, &s.d, idx.data(), 16, &p, &la, nullptr), BNN_OK);
  p.flip_p = 0.5;
  ASSERT_EQ(bet_train_step(b, &s.d, idx.data(), 16, &p, &lb, nullptr), BNN_OK);
  EXPECT_NE(la, lb);
  // Latent weights are updated by Adam only: every step moves each weight by at most ~lr.
  size_t n = 0;
  const float *wa = bet_net_weights(a, 0, &n);
  const float *wb = bet_net_weights(b, 0, &n);
  for (size_t i = 0; i < n; ++i) EXPECT_LE(std::fabs(wa[i] - wb[i]), 2.5e-3f);
  bet_net_free(a);
  bet_net_free(b);
}

namespace {
double train_to(bet_net *net, const bnn_dataset &d, bet_train_params p, uint32_t max_epochs) {
  double acc = 0;
  for (uint32_t e = 0; e < max_epochs; ++e) {
    bet_epoch_stats st;
    EXPECT_EQ(bet_train_epoch(net, &d, &p, nullptr, nullptr, &st), BNN_OK) << bnn_errmsg();
    EXPECT_EQ(bet_evaluate(net, &d, 1, 0.0, 0, 0, nullptr, nullptr, &acc), BNN_OK);
    if (acc == 1.0) break;
  }
  return acc;
}
}  // namespace

TEST(Train, DenseNetLearnsATinyDataSetToFullTrainingAccuracy) {
  Synth s(64, 1, 4, 4, 4, 11);
  bet_net *net = make_net("16-64-64-4", s.d, 2);
  bet_train_params p = bet_train_default_params();
  p.batch = 16;
  p.lr = 1e-2;
  EXPECT_EQ(train_to(net, s.d, p, 200), 1.0);
  bet_net_free(net);
}

TEST(Train, ConvNetWithPoolingLearnsATinyDataSetToFullTrainingAccuracy) {
  Synth s(48, 2, 8, 8, 4, 12);
  bet_arch a;
  ASSERT_EQ(bet_arch_parse("vgg3", 4, &a), BNN_OK);
  a.layers[0].n_out = 8;
  a.layers[1].n_out = 8;
  a.layers[2].n_out = 32;
  bet_net *net = make_net(a, s.d, 3);
  ASSERT_NE(net, nullptr);
  bet_train_params p = bet_train_default_params();
  p.batch = 16;
  p.lr = 1e-2;
  p.loss = BET_LOSS_MHL;
  p.mhl_b = 8;
  EXPECT_EQ(train_to(net, s.d, p, 200), 1.0);
  bet_net_free(net);
}

TEST(Train, SameSeedSameThreadsGiveIdenticalWeights) {
  Synth s(100, 1, 4, 4, 3, 21);
  bet_train_params p = bet_train_default_params();
  p.batch = 32;
  p.flip_p = 0.05;
  p.threads = 2;
  bet_net *a = make_net("16-32-32-3", s.d, 9), *b = make_net("16-32-32-3", s.d, 9);
  bet_net *c = make_net("16-32-32-3", s.d, 10);
  for (int e = 0; e < 3; ++e) {
    ASSERT_EQ(bet_train_epoch(a, &s.d, &p, nullptr, nullptr, nullptr), BNN_OK);
    ASSERT_EQ(bet_train_epoch(b, &s.d, &p, nullptr, nullptr, nullptr), BNN_OK);
    ASSERT_EQ(bet_train_epoch(c, &s.d, &p, nullptr, nullptr, nullptr), BNN_OK);
  }
  EXPECT_TRUE(bet_net_equal(a, b));
  EXPECT_FALSE(bet_net_equal(a, c));
  EXPECT_EQ(bet_net_epoch(a), 3u);
  EXPECT_EQ(bet_net_step(a), 12u);  // ceil(100 / 32) = 4 steps per epoch
  bet_net_free(a);
  bet_net_free(b);
  bet_net_free(c);
}

// The bit-packed forward and sgemm on ±1 floats compute the same exact integers: training with
// either gives bit-identical nets (flips included, which toggle the packed bits too).
TEST(Train, PackedForwardTrainsIdenticallyToFloatGemm) {
  Synth s(70, 1, 5, 5, 3, 22);
  bet_train_params p = bet_train_default_params();
  p.ref_kernels = 1;  // the sgemm backward on both (the fast path's ±1 backward needs the bits)
  p.batch = 16;
  p.flip_p = 0.05;
  p.threads = 2;
  bet_net *a = make_net("25-70-130-3", s.d, 9), *b = make_net("25-70-130-3", s.d, 9);
  for (int e = 0; e < 2; ++e) {
    p.packed_forward = 1;
    ASSERT_EQ(bet_train_epoch(a, &s.d, &p, nullptr, nullptr, nullptr), BNN_OK);
    p.packed_forward = 0;
    ASSERT_EQ(bet_train_epoch(b, &s.d, &p, nullptr, nullptr, nullptr), BNN_OK);
  }
  EXPECT_TRUE(bet_net_equal(a, b));
  bet_net_free(a);
  bet_net_free(b);
}

// The fast kernels against the reference path (ref_kernels = 1: scalar Adam, sgemm on pixel/255
// floats in layer 0), same seed: the Adam is bit-identical and layer 0's pre-activations differ
// by float rounding only (exact integers × 1/255 against a float sum of pixel/255 × ±1), so the
// training curve must agree within rounding's reach: a pre-activation next to a batch-norm
// switch point may take the other sign (an exact tie z = μ in the integer path, for instance), so
// not bit for bit. 1024 images, 2 epochs of 16 batches of 64. Tolerances: the running loss within
// 2 % and accuracy within 2 pp after every batch, the epoch figures within 1 % and 1 pp.
namespace {
struct Curve {
  std::vector<double> loss, acc;
};
void record_batch(void *ud, uint32_t, uint64_t, uint64_t, double loss, double acc) {
  static_cast<Curve *>(ud)->loss.push_back(loss);
  static_cast<Curve *>(ud)->acc.push_back(acc);
}
}  // namespace

TEST(Train, FastKernelsFollowTheReferenceCurveWithinRounding) {
  bettest::SynthSpec spec;
  spec.on_lo = 110;  // overlapping pixel ranges: learned over the 2 epochs, not in a few steps
  spec.on_span = 145;
  spec.off_span = 145;
  Synth s(1024, 1, 16, 16, 4, 24, spec);
  bet_train_params p = bet_train_default_params();
  p.batch = 64;
  p.threads = 2;
  bet_net *fast = make_net("256-128-128-4", s.d, 11), *ref = make_net("256-128-128-4", s.d, 11);
  Curve cf, cr;
  bet_epoch_stats ef[2], er[2];
  for (int e = 0; e < 2; ++e) {
    p.ref_kernels = 0;
    ASSERT_EQ(bet_train_epoch(fast, &s.d, &p, record_batch, &cf, &ef[e]), BNN_OK) << bnn_errmsg();
    p.ref_kernels = 1;
    ASSERT_EQ(bet_train_epoch(ref, &s.d, &p, record_batch, &cr, &er[e]), BNN_OK) << bnn_errmsg();
  }
  ASSERT_EQ(cf.loss.size(), cr.loss.size());
  for (size_t i = 0; i < cf.loss.size(); ++i) {
    EXPECT_NEAR(cf.loss[i], cr.loss[i], 0.02 * cr.loss[i]) << "batch " << i;
    EXPECT_NEAR(cf.acc[i], cr.acc[i], 0.02) << "batch " << i;
  }
  for (int e = 0; e < 2; ++e) {
    EXPECT_NEAR(ef[e].loss, er[e].loss, 0.01 * er[e].loss) << "epoch " << e;
    EXPECT_NEAR(ef[e].train_acc, er[e].train_acc, 0.01) << "epoch " << e;
  }
  EXPECT_LT(er[1].loss, er[0].loss);  // it learned something
  std::printf("epoch losses fast %.6f %.6f, reference %.6f %.6f\n", ef[0].loss, ef[1].loss,
              er[0].loss, er[1].loss);
  bet_net_free(fast);
  bet_net_free(ref);
}

// With [−1, 1] inputs the first layer runs sgemm on both paths, so the fast kernels differ from the
// reference path only where they reassociate a float sum: the backward products of the hidden
// layer with ±1 inputs (bet_pm1_gemm). Batch norm fused with sign/packing and with the STE, and
// the AVX-512 Adam, are exact. So: the fast path is bit-identical on 1 and 2 threads (every split
// is by channel or by output block, never across a sum), and follows the reference curve within
// rounding (flips included); 3 epochs of 5 batches.
TEST(Train, FastKernelsAreThreadIndependentAndFollowTheReferenceWithPm1Inputs) {
  Synth s(300, 1, 8, 8, 4, 25);
  bet_train_params p = bet_train_default_params();
  p.batch = 64;
  p.flip_p = 0.02;
  p.input_range = BET_INPUT_PM1;
  bet_net *a = make_net("64-600-130-4", s.d, 12), *b = make_net("64-600-130-4", s.d, 12),
          *c = make_net("64-600-130-4", s.d, 12);
  Curve ca, cb;
  bet_epoch_stats ea[3], eb[3];
  for (int e = 0; e < 3; ++e) {
    p.ref_kernels = 0;
    p.threads = 2;
    ASSERT_EQ(bet_train_epoch(a, &s.d, &p, record_batch, &ca, &ea[e]), BNN_OK) << bnn_errmsg();
    p.threads = 1;
    ASSERT_EQ(bet_train_epoch(c, &s.d, &p, nullptr, nullptr, nullptr), BNN_OK) << bnn_errmsg();
    p.ref_kernels = 1;
    ASSERT_EQ(bet_train_epoch(b, &s.d, &p, record_batch, &cb, &eb[e]), BNN_OK) << bnn_errmsg();
  }
  EXPECT_TRUE(bet_net_equal(a, c));
  ASSERT_EQ(ca.loss.size(), cb.loss.size());
  for (size_t i = 0; i < ca.loss.size(); ++i) {
    EXPECT_NEAR(ca.loss[i], cb.loss[i], 0.02 * cb.loss[i]) << "batch " << i;
    EXPECT_NEAR(ca.acc[i], cb.acc[i], 0.02) << "batch " << i;
  }
  for (int e = 0; e < 3; ++e) EXPECT_NEAR(ea[e].loss, eb[e].loss, 0.01 * eb[e].loss) << e;
  EXPECT_LT(eb[2].loss, eb[0].loss);  // it learned something
  std::printf("epoch losses fast %.6f %.6f %.6f, reference %.6f %.6f %.6f\n", ea[0].loss,
              ea[1].loss, ea[2].loss, eb[0].loss, eb[1].loss, eb[2].loss);
  bet_net_free(a);
  bet_net_free(b);
  bet_net_free(c);
}

TEST(Train, ClipAllKeepsBatchNormAndScaleInTheUnitInterval) {
  Synth s(64, 1, 4, 4, 2, 23);
  bet_train_params p = bet_train_default_params();
  p.batch = 16;
  p.lr = 0.5;  // large steps, so unclipped parameters leave [−1, 1]
  bet_net *a = make_net("16-8-2", s.d, 3), *b = make_net("16-8-2", s.d, 3);
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(a, s.d, p, 3));
  p.clip_all = 1;
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(b, s.d, p, 3));
  auto out_of_unit = [](bet_net *n) {
    float *beta = nullptr;
    const float *g = bet_net_bn(n, 0, &beta, nullptr, nullptr);
    int cnt = std::fabs(bet_net_output_scale(n)) > 1.0f;
    for (int j = 0; j < 8; ++j) cnt += (std::fabs(g[j]) > 1.0f) + (std::fabs(beta[j]) > 1.0f);
    return cnt;
  };
  EXPECT_GT(out_of_unit(a), 0);
  EXPECT_EQ(out_of_unit(b), 0);
  bet_net_free(a);
  bet_net_free(b);
}

TEST(Checkpoint, ResumeGivesTheSameFinalWeightsAsAnUninterruptedRun) {
  Synth s(90, 1, 4, 4, 3, 31);
  bet_train_params p = bet_train_default_params();
  p.batch = 32;
  p.flip_p = 0.02;
  p.step_size = 1;  // the learning-rate schedule must resume too
  bet_net *full = make_net("16-24-3", s.d, 5), *part = make_net("16-24-3", s.d, 5);
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(full, s.d, p, 3));
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(part, s.d, p, 2));
  const std::string path = tmp_path("ckpt");
  ASSERT_EQ(bet_checkpoint_save(part, &p, path.c_str()), BNN_OK) << bnn_errmsg();
  bet_net_free(part);
  bet_net *resumed = nullptr;
  bet_train_params q;
  ASSERT_EQ(bet_checkpoint_load(&resumed, &q, path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(q.lr, p.lr);
  EXPECT_EQ(q.flip_p, p.flip_p);
  EXPECT_EQ(q.step_size, 1u);
  EXPECT_EQ(q.clip_all, 0);
  EXPECT_EQ(bet_net_epoch(resumed), 2u);
  ASSERT_EQ(bet_train_epoch(resumed, &s.d, &q, nullptr, nullptr, nullptr), BNN_OK);
  EXPECT_TRUE(bet_net_equal(full, resumed));
  bet_net_free(full);
  bet_net_free(resumed);
  std::remove(path.c_str());
}

TEST(Checkpoint, CorruptTruncatedAndForeignFilesAreRefused) {
  Synth s(10, 1, 2, 2, 2, 41);
  bet_net *net = make_net("4-3-2", s.d, 1);
  bet_train_params p = bet_train_default_params();
  const std::string path = tmp_path("ckpt_bad");
  ASSERT_EQ(bet_checkpoint_save(net, &p, path.c_str()), BNN_OK);
  const std::vector<char> bytes = bettest::read_bytes(path);
  ASSERT_FALSE(bytes.empty());
  auto write = [&](const std::vector<char> &b) { bettest::write_bytes(path, b); };
  bet_net *out = nullptr;
  // A flipped byte in the weights: CRC mismatch.
  auto corrupt = bytes;
  corrupt[corrupt.size() - 20] ^= 0x40;
  write(corrupt);
  EXPECT_EQ(bet_checkpoint_load(&out, nullptr, path.c_str()), BNN_E_CRC);
  EXPECT_NE(std::strstr(bnn_errmsg(), path.c_str()), nullptr) << bnn_errmsg();
  // Truncated.
  write(std::vector<char>(bytes.begin(), bytes.begin() + (long)bytes.size() / 2));
  EXPECT_EQ(bet_checkpoint_load(&out, nullptr, path.c_str()), BNN_E_FORMAT);
  EXPECT_NE(std::strstr(bnn_errmsg(), "truncated"), nullptr) << bnn_errmsg();
  // Wrong magic.
  auto foreign = bytes;
  foreign[0] = 'X';
  write(foreign);
  EXPECT_EQ(bet_checkpoint_load(&out, nullptr, path.c_str()), BNN_E_FORMAT);
  // Absurd layer count.
  auto absurd = bytes;
  absurd[76] = (char)0xff;
  write(absurd);
  EXPECT_EQ(bet_checkpoint_load(&out, nullptr, path.c_str()), BNN_E_FORMAT);
  // Missing file.
  std::remove(path.c_str());
  EXPECT_EQ(bet_checkpoint_load(&out, nullptr, path.c_str()), BNN_E_IO);
  EXPECT_EQ(out, nullptr);
  // Saving into a missing directory fails cleanly and leaves nothing behind.
  EXPECT_EQ(bet_checkpoint_save(net, &p, "/nonexistent-dir/x.ckpt"), BNN_E_IO);
  bet_net_free(net);
}

// Evaluation uses folded integer thresholds; it must agree with a float batch-norm evaluation
// except where the float rounding lands exactly on a boundary (so: almost always), and the
// evaluation with flips must differ from the clean one at a high BER.
TEST(Evaluate, IntegerEvaluationAgreesWithFloatBatchNormAndFlipsHurt) {
  Synth s(200, 1, 4, 4, 4, 51);
  bet_net *net = make_net("16-32-4", s.d, 6);
  bet_train_params p = bet_train_default_params();
  p.batch = 20;
  p.lr = 1e-2;
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(net, s.d, p, 5));
  std::vector<int32_t> scores(200 * 4);
  std::vector<uint8_t> pred(200);
  double acc = 0;
  ASSERT_EQ(bet_evaluate(net, &s.d, 1, 0.0, 0, 0, scores.data(), pred.data(), &acc), BNN_OK);
  // Float reference: pixel/255 → ±1 weights → float batch norm with running stats → sign → ±1
  // output weights → integer scores.
  size_t n0 = 0, n1 = 0;
  const float *w0 = bet_net_weights(net, 0, &n0);
  const float *w1 = bet_net_weights(net, 1, &n1);
  float *beta = nullptr, *rm = nullptr, *rv = nullptr;
  const float *gamma = bet_net_bn(net, 0, &beta, &rm, &rv);
  size_t agree = 0;
  for (uint32_t i = 0; i < 200; ++i) {
    std::vector<float> x(16), z(32), h(32);
    for (int k = 0; k < 16; ++k) x[k] = s.images[i * 16 + k] / 255.0f;
    for (int j = 0; j < 32; ++j) {
      double a = 0;
      for (int k = 0; k < 16; ++k) a += (w0[j * 16 + k] >= 0 ? 1.0 : -1.0) * (double)x[k];
      z[j] = (float)a;
    }
    bet_bn_forward_eval(z.data(), 1, 32, gamma, beta, rm, rv, 1e-5f, h.data());
    bool same = true;
    for (int o = 0; o < 4; ++o) {
      int a = 0;
      for (int j = 0; j < 32; ++j) a += (w1[o * 32 + j] >= 0 ? 1 : -1) * (h[j] >= 0 ? 1 : -1);
      if (bet_net_output_scale(net) < 0) a = -a;
      same = same && a == scores[i * 4 + o];
    }
    agree += same;
  }
  EXPECT_GE(agree, 198u);
  double acc_flip = 0;
  ASSERT_EQ(bet_evaluate(net, &s.d, 1, 0.3, ~0ull, 7, nullptr, nullptr, &acc_flip), BNN_OK);
  EXPECT_LT(acc_flip, acc);
  EXPECT_EQ(bet_evaluate(net, &s.d, 1, 0.7, ~0ull, 7, nullptr, nullptr, &acc_flip), BNN_E_RANGE);
  bet_net_free(net);
}
