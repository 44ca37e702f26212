// test_traces.cpp — libtrace: round trips of every format, STL grammar, bad input, streaming
// memory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "bnn/rng.h"
#include "rrtrace/trace.h"

namespace {

struct Rec {
  uint64_t cycle, address;
  uint32_t length;
  rrt_cmd cmd;
  bool has_data;
  std::vector<uint8_t> data;
  // A copy of what a reader returned (its data is the reader's until the next call).
  static Rec of(const rrt_access &a) {
    return {a.cycle,
            a.address,
            a.length,
            a.cmd,
            a.has_data != 0,
            a.has_data ? std::vector<uint8_t>(a.data, a.data + a.length) : std::vector<uint8_t>()};
  }
  // The record as a writer takes it (data points into this Rec).
  rrt_access access() const {
    return {cycle, address, length, cmd, has_data, has_data ? data.data() : nullptr};
  }
};

// Every field of a record as a tuple: EXPECT_EQ/ASSERT_EQ on two of them compare all the fields
// and print both records when they differ.
auto fields(const Rec &r) {
  return std::tie(r.cycle, r.address, r.length, r.cmd, r.has_data, r.data);
}
auto fields(const rrt_fault &f) {
  return std::tie(f.time_ps, f.address, f.bit, f.kind, f.old_value, f.new_value, f.layer, f.neuron,
                  f.weight, f.access);
}
auto fields(const rrt_cell &c) {
  return std::tie(c.loc, c.address, c.bank, c.crossbar, c.row, c.column, c.bit, c.kind, c.rate);
}

class TraceTest : public ::testing::Test {
 protected:
  std::string dir;
  void SetUp() override {
    char tmpl[] = "/tmp/rrtrace_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  std::string path(const std::string &name) const { return dir + "/" + name; }
  void write_file(const std::string &name, const std::string &text) const {
    std::ofstream f(path(name), std::ios::binary);
    f << text;
  }
  std::string read_file(const std::string &name) const {
    std::ifstream f(path(name), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  bool exists(const std::string &name) const { return access(path(name).c_str(), F_OK) == 0; }
};

std::vector<Rec> make_records(size_t n, uint64_t seed, bool monotonic = true) {
  std::vector<Rec> v;
  bnn_rng r = bnn_rng_make(seed, 1);
  uint64_t t = 0;
  for (size_t i = 0; i < n; ++i) {
    Rec x;
    uint64_t u = bnn_rng_u64(&r);
    if (monotonic) {
      t += u % 50;
    } else {
      t = bnn_rng_u64(&r) >> (u % 64);
    }
    x.cycle = t;
    x.address = (u & 1) ? (bnn_rng_u64(&r) >> (u % 60)) : (i * 64);
    static const uint32_t lens[] = {1, 4, 8, 32, 64, 64, 64, 128};
    x.length = lens[(u >> 8) % 8];
    x.cmd = ((u >> 12) & 1) ? RRT_CMD_WRITE : RRT_CMD_READ;
    x.has_data = ((u >> 13) & 3) != 0;
    if (x.has_data)
      for (uint32_t k = 0; k < x.length; ++k) x.data.push_back((uint8_t)bnn_rng_u64(&r));
    v.push_back(x);
  }
  return v;
}

rrt_provenance test_prov() {
  rrt_provenance p;
  p.tool = "rramsim test 1.2.3";
  p.config_hash = "fnv1a64:0123456789abcdef";
  p.seed = "42";
  p.model_id = "";
  p.clock_ps = 1250;
  return p;
}

bnn_status write_records(const std::string &file, const std::vector<Rec> &recs,
                         const rrt_provenance &prov) {
  rrt_access_write_params wp = rrt_access_write_default_params();
  wp.prov = prov;
  rrt_access_writer *w = nullptr;
  bnn_status s = rrt_access_writer_open(file.c_str(), &wp, &w);
  if (s) return s;
  for (const Rec &x : recs) {
    const rrt_access a = x.access();
    s = rrt_access_writer_put(w, &a);
    if (s) {
      rrt_access_writer_abort(w);
      return s;
    }
  }
  return rrt_access_writer_close(w);
}

bnn_status read_records(const std::string &file, std::vector<Rec> *out, int skip_bad = 0,
                        uint64_t *bad = nullptr, uint32_t default_length = 64) {
  rrt_access_read_params rp = rrt_access_read_default_params();
  rp.skip_bad = skip_bad;
  rp.default_length = default_length;
  rrt_access_reader *r = nullptr;
  bnn_status s = rrt_access_reader_open(file.c_str(), &rp, &r);
  if (s) return s;
  for (;;) {
    rrt_access a;
    int got;
    s = rrt_access_reader_next(r, &a, &got);
    if (s || !got) break;
    out->push_back(Rec::of(a));
  }
  if (bad) *bad = rrt_access_reader_bad_lines(r);
  rrt_access_reader_close(r);
  return s;
}

void expect_same(const std::vector<Rec> &a, const std::vector<Rec> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(fields(a[i]), fields(b[i])) << "record " << i;
  }
}

// ------------------------------------------------------------------------------------------------

TEST_F(TraceTest, RoundTripEveryAccessFormat) {
  std::vector<Rec> recs = make_records(3000, 7);
  for (const char *name : {"t.stl", "t.rstl", "t.stl.gz", "t.rstl.gz", "t.rrt", "t.rrt.gz"}) {
    SCOPED_TRACE(name);
    ASSERT_EQ(write_records(path(name), recs, test_prov()), BNN_OK) << bnn_errmsg();
    std::vector<Rec> back;
    ASSERT_EQ(read_records(path(name), &back), BNN_OK) << bnn_errmsg();
    expect_same(recs, back);
    rrt_access_reader *r = nullptr;
    ASSERT_EQ(rrt_access_reader_open(path(name).c_str(), nullptr, &r), BNN_OK);
    const rrt_provenance *p = rrt_access_reader_provenance(r);
    EXPECT_STREQ(p->tool, "rramsim test 1.2.3");
    EXPECT_STREQ(p->config_hash, "fnv1a64:0123456789abcdef");
    EXPECT_STREQ(p->seed, "42");
    EXPECT_EQ(p->clock_ps, 1250u);
    EXPECT_EQ(rrt_access_reader_format(r), rrt_format_from_name(name));
    rrt_access_reader_close(r);
  }
  // ".gz" really is gzip, and smaller (the random data bytes limit the ratio here).
  EXPECT_EQ(read_file("t.stl.gz").substr(0, 2), "\x1f\x8b");
  EXPECT_LT(read_file("t.stl.gz").size(), read_file("t.stl").size());
  EXPECT_LT(read_file("t.rrt").size(), read_file("t.stl").size() / 2);
}

TEST_F(TraceTest, EmptyTraceRoundTrips) {
  for (const char *name : {"e.stl", "e.rrt", "e.rstl.gz"}) {
    ASSERT_EQ(write_records(path(name), {}, test_prov()), BNN_OK) << bnn_errmsg();
    std::vector<Rec> back;
    ASSERT_EQ(read_records(path(name), &back), BNN_OK) << bnn_errmsg();
    EXPECT_TRUE(back.empty());
  }
}

TEST_F(TraceTest, BinaryKeepsUnsortedTimesAndExtremeValues) {
  std::vector<Rec> recs = make_records(2000, 11, /*monotonic=*/false);
  recs[5].cycle = UINT64_MAX;
  recs[6].cycle = 0;
  recs[7].address = UINT64_MAX;
  recs[8].length = RRT_MAX_LENGTH;
  recs[8].has_data = true;
  recs[8].data.assign(RRT_MAX_LENGTH, 0xA5);
  ASSERT_EQ(write_records(path("u.rrt"), recs, test_prov()), BNN_OK) << bnn_errmsg();
  std::vector<Rec> back;
  ASSERT_EQ(read_records(path("u.rrt"), &back), BNN_OK) << bnn_errmsg();
  expect_same(recs, back);
  // Absolute STL keeps them too; relative STL refuses a step backwards.
  ASSERT_EQ(write_records(path("u.stl"), recs, test_prov()), BNN_OK) << bnn_errmsg();
  back.clear();
  ASSERT_EQ(read_records(path("u.stl"), &back), BNN_OK) << bnn_errmsg();
  expect_same(recs, back);
  EXPECT_EQ(write_records(path("u.rstl"), recs, test_prov()), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg()).find("earlier than its predecessor"), std::string::npos);
  EXPECT_FALSE(exists("u.rstl"));
}

TEST_F(TraceTest, StlGrammarEdgeCases) {
  // DRAMSys's own files: tab separated, uppercase hex, "cycle:" with a colon, no length/data.
  std::string text =
      "# comment at the top\n"
      "\n"
      "0:\twrite\t0x0\n"
      "12:\tread\t0x4000A90\n"
      "   \t  \n"                      // blank line of whitespace
      "13 read 0x4000a90\n"            // no colon, spaces, lowercase hex
      "14: read 4000A90   \n"          // no 0x prefix, trailing spaces
      "15: (32) read 0x10\r\n"         // explicit length, CRLF
      "16: write 0x20 0xDEADbeef\n"    // data without length: length = 4 bytes
      "17: (2) write 0x30 0X0aFF\t\n"  // length + data, 0X prefix, trailing tab
      "  # indented comment\n"
      "18: read 0x40 # trailing comment\n"
      "19:\t(8)\twrite\t0x50\n"       // write without data: contents unspecified
      "20: read 0x60 0x0102\n"        // read carrying the data it returned
      "21: read 0xffffffffffffffff";  // last line without a newline
  write_file("g.stl", text);
  std::vector<Rec> v;
  ASSERT_EQ(read_records(path("g.stl"), &v, 0, nullptr, 128), BNN_OK) << bnn_errmsg();
  ASSERT_EQ(v.size(), 11u);
  EXPECT_EQ(v[0].cycle, 0u);
  EXPECT_EQ(v[0].cmd, RRT_CMD_WRITE);
  EXPECT_EQ(v[0].length, 128u);  // default_length
  EXPECT_FALSE(v[0].has_data);
  EXPECT_EQ(v[1].address, 0x4000A90u);
  EXPECT_EQ(v[2].address, 0x4000A90u);
  EXPECT_EQ(v[3].address, 0x4000A90u);
  EXPECT_EQ(v[4].length, 32u);
  EXPECT_EQ(v[4].cycle, 15u);
  EXPECT_EQ(v[5].length, 4u);
  EXPECT_EQ(v[5].data, (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(v[6].data, (std::vector<uint8_t>{0x0a, 0xff}));
  EXPECT_EQ(v[7].address, 0x40u);
  EXPECT_EQ(v[8].cmd, RRT_CMD_WRITE);
  EXPECT_EQ(v[8].length, 8u);
  EXPECT_FALSE(v[8].has_data);
  EXPECT_TRUE(v[9].has_data);
  EXPECT_EQ(v[10].address, UINT64_MAX);
  EXPECT_EQ(v[10].cycle, 21u);

  // The same lines as a relative trace accumulate.
  write_file("g.rstl", "# rel\n5: read 0x0\n0: read 0x40\n7: write 0x80\n");
  v.clear();
  ASSERT_EQ(read_records(path("g.rstl"), &v), BNN_OK) << bnn_errmsg();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].cycle, 5u);
  EXPECT_EQ(v[1].cycle, 5u);
  EXPECT_EQ(v[2].cycle, 12u);
}

TEST_F(TraceTest, WriterOutputIsDramsysStl) {
  std::vector<Rec> recs(2);
  recs[0] = {31, 0x400140, 64, RRT_CMD_READ, false, {}};
  recs[1] = {56, 0x7fff8000, 4, RRT_CMD_WRITE, true, {0x12, 0x34, 0xab, 0xcd}};
  ASSERT_EQ(write_records(path("w.stl"), recs, test_prov()), BNN_OK);
  std::string s = read_file("w.stl");
  EXPECT_NE(s.find("\n31:\t(64)\tread\t0x400140\n56:\t(4)\twrite\t0x7fff8000\t0x1234abcd\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("# tool: rramsim test 1.2.3\n"), std::string::npos);
  EXPECT_NE(s.find("# config_hash: fnv1a64:0123456789abcdef\n"), std::string::npos);
  EXPECT_NE(s.find("# seed: 42\n"), std::string::npos);
  EXPECT_NE(s.find("# clock_ps: 1250\n"), std::string::npos);
  ASSERT_EQ(write_records(path("w.rstl"), recs, test_prov()), BNN_OK);
  EXPECT_NE(read_file("w.rstl").find("\n31:\t(64)\tread\t0x400140\n25:\t(4)\twrite"),
            std::string::npos);
}

TEST_F(TraceTest, MalformedLinesNameFileAndLine) {
  const char *bad[] = {
      "x: read 0x0",                     // no cycle
      "5:read 0x0",                      // no whitespace after the cycle
      "5: fetch 0x0",                    // unknown command
      "5: read",                         // no address
      "5: read 0xZZ",                    // bad address
      "5: (0) read 0x0",                 // zero length
      "5: (12 read 0x0",                 // unclosed length
      "5: write 0x0 0x123",              // odd number of data digits
      "5: write 0x0 0x12G4",             // bad data digit
      "5: (3) write 0x0 0x1234",         // data length differs from (length)
      "5: write 0x0 1234",               // data without 0x
      "5: read 0x0 0x12 extra",          // trailing junk
      "99999999999999999999: read 0x0",  // cycle overflow
      "5: read 0x1ffffffffffffffff",     // address overflow
  };
  // An embedded NUL must not silently cut a line short.
  write_file("nul.stl", std::string("0: read 0x0\n1: read 0x40\0junk\n", 30));
  std::vector<Rec> nv;
  EXPECT_EQ(read_records(path("nul.stl"), &nv), BNN_E_FORMAT);
  EXPECT_NE(std::string(bnn_errmsg()).find("nul.stl:2: malformed STL record: NUL byte"),
            std::string::npos)
      << bnn_errmsg();
  int i = 0;
  for (const char *line : bad) {
    SCOPED_TRACE(line);
    std::string name = "bad" + std::to_string(i++) + ".stl";
    write_file(name, std::string("# header\n0: read 0x0\n\n") + line + "\n1: read 0x40\n");
    std::vector<Rec> v;
    EXPECT_EQ(read_records(path(name), &v), BNN_E_FORMAT);
    std::string msg = bnn_errmsg();
    EXPECT_NE(msg.find(path(name) + ":4: malformed STL record"), std::string::npos) << msg;
    EXPECT_EQ(v.size(), 1u);
    // skip_bad counts and skips it.
    v.clear();
    uint64_t nbad = 0;
    EXPECT_EQ(read_records(path(name), &v, 1, &nbad), BNN_OK) << bnn_errmsg();
    EXPECT_EQ(nbad, 1u);
    EXPECT_EQ(v.size(), 2u);
  }
}

TEST_F(TraceTest, SkipBadCountsManyAndReportsFirst) {
  write_file("m.stl", "0: read 0x0\nbad\n1: read 0x0\nworse 1\n2: nope 0\n3: write 0x8\n");
  rrt_access_read_params rp = rrt_access_read_default_params();
  rp.skip_bad = 1;
  rrt_access_reader *r = nullptr;
  ASSERT_EQ(rrt_access_reader_open(path("m.stl").c_str(), &rp, &r), BNN_OK);
  rrt_access a;
  int got, n = 0;
  while (rrt_access_reader_next(r, &a, &got) == BNN_OK && got) ++n;
  EXPECT_EQ(n, 3);
  EXPECT_EQ(rrt_access_reader_bad_lines(r), 3u);
  EXPECT_EQ(rrt_access_reader_first_bad_line(r), 2u);
  rrt_access_reader_close(r);
}

TEST_F(TraceTest, ReaderErrorIsSticky) {
  write_file("s.stl", "0: read 0x0\nbroken\n1: read 0x40\n");
  rrt_access_reader *r = nullptr;
  ASSERT_EQ(rrt_access_reader_open(path("s.stl").c_str(), nullptr, &r), BNN_OK);
  rrt_access a;
  int got;
  EXPECT_EQ(rrt_access_reader_next(r, &a, &got), BNN_OK);
  EXPECT_EQ(got, 1);
  EXPECT_EQ(rrt_access_reader_next(r, &a, &got), BNN_E_FORMAT);
  EXPECT_EQ(got, 0);
  // The player cannot accidentally resume past a bad line.
  EXPECT_EQ(rrt_access_reader_next(r, &a, &got), BNN_E_FORMAT);
  EXPECT_EQ(got, 0);
  EXPECT_EQ(rrt_access_reader_records(r), 1u);
  rrt_access_reader_close(r);
}

TEST_F(TraceTest, TruncatedGzipIsAnError) {
  std::vector<Rec> recs = make_records(20000, 3);
  ASSERT_EQ(write_records(path("z.stl.gz"), recs, test_prov()), BNN_OK);
  std::string full = read_file("z.stl.gz");
  for (size_t cut : {full.size() / 2, full.size() - 5, (size_t)30}) {
    SCOPED_TRACE(cut);
    write_file("cut.stl.gz", full.substr(0, cut));
    std::vector<Rec> v;
    EXPECT_EQ(read_records(path("cut.stl.gz"), &v), BNN_E_FORMAT);
    std::string msg = bnn_errmsg();
    EXPECT_NE(msg.find(path("cut.stl.gz") + ": truncated gzip stream"), std::string::npos) << msg;
    EXPECT_LT(v.size(), recs.size());
  }
  // A ".gz" name over plain text is refused, not read as text.
  write_file("plain.stl.gz", "0: read 0x0\n");
  std::vector<Rec> v;
  EXPECT_EQ(read_records(path("plain.stl.gz"), &v), BNN_E_FORMAT);
  EXPECT_NE(std::string(bnn_errmsg()).find("not gzip data"), std::string::npos);
}

TEST_F(TraceTest, TruncatedOrCorruptBinaryIsAnError) {
  std::vector<Rec> recs = make_records(5000, 5);
  ASSERT_EQ(write_records(path("b.rrt"), recs, test_prov()), BNN_OK);
  std::string full = read_file("b.rrt");
  // Every cut: inside the header, inside records, inside the trailer, just before it.
  for (size_t cut : {(size_t)4, (size_t)25, full.size() / 3, full.size() - 21, full.size() - 10,
                     full.size() - 1}) {
    SCOPED_TRACE(cut);
    write_file("cut.rrt", full.substr(0, cut));
    std::vector<Rec> v;
    bnn_status s = read_records(path("cut.rrt"), &v);
    EXPECT_EQ(s, BNN_E_FORMAT) << bnn_errmsg();
    EXPECT_NE(std::string(bnn_errmsg()).find("truncated"), std::string::npos) << bnn_errmsg();
  }
  // A flipped bit in a record's payload is caught by the CRC (or as a malformed record).
  std::string bad = full;
  bad[full.size() / 2] = (char)(bad[full.size() / 2] ^ 0x10);
  write_file("flip.rrt", bad);
  std::vector<Rec> v;
  bnn_status s = read_records(path("flip.rrt"), &v);
  EXPECT_TRUE(s == BNN_E_CRC || s == BNN_E_FORMAT) << bnn_errmsg();
  // Trailing bytes after the trailer.
  write_file("tail.rrt", full + "x");
  v.clear();
  EXPECT_EQ(read_records(path("tail.rrt"), &v), BNN_E_FORMAT);
  // Wrong magic, future version, corrupt header.
  bad = full;
  bad[1] = 'X';
  write_file("magic.rrt", bad);
  EXPECT_EQ(read_records(path("magic.rrt"), &v), BNN_E_FORMAT);
  EXPECT_NE(std::string(bnn_errmsg()).find("bad magic"), std::string::npos);
  bad = full;
  bad[8] = 2;
  write_file("ver.rrt", bad);
  EXPECT_EQ(read_records(path("ver.rrt"), &v), BNN_E_VERSION);
  bad = full;
  bad[22] = (char)(bad[22] ^ 1);  // inside the tool string
  write_file("hdr.rrt", bad);
  EXPECT_EQ(read_records(path("hdr.rrt"), &v), BNN_E_CRC);
}

TEST_F(TraceTest, OpenErrors) {
  rrt_access_reader *r = nullptr;
  EXPECT_EQ(rrt_access_reader_open(path("missing.stl").c_str(), nullptr, &r), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("missing.stl: cannot open"), std::string::npos);
  write_file("x.txt", "0: read 0x0\n");
  EXPECT_EQ(rrt_access_reader_open(path("x.txt").c_str(), nullptr, &r), BNN_E_ARG);
  rrt_access_read_params rp = rrt_access_read_default_params();
  rp.format = RRT_FORMAT_STL;  // explicit format overrides the name
  ASSERT_EQ(rrt_access_reader_open(path("x.txt").c_str(), &rp, &r), BNN_OK);
  rrt_access_reader_close(r);
  rrt_access_writer *w = nullptr;
  EXPECT_EQ(rrt_access_writer_open((dir + "/no/such/dir/t.stl").c_str(), nullptr, &w), BNN_E_IO);
  rrt_access_write_params wp = rrt_access_write_default_params();
  std::string longs(300, 'a');
  wp.prov.tool = longs.c_str();
  EXPECT_EQ(rrt_access_writer_open(path("t.stl").c_str(), &wp, &w), BNN_E_ARG);
  wp.prov.tool = "two\nlines";
  EXPECT_EQ(rrt_access_writer_open(path("t.stl").c_str(), &wp, &w), BNN_E_ARG);
}

// The one input path (traces/src/in.c) tells gzip from plain by content for regular files and lets
// zlib decide for pipes; its buffer starts small and grows while the input keeps filling it.
TEST_F(TraceTest, InputIsRecognisedByContentAndOnlyRegularFilesAreRead) {
  std::vector<Rec> recs = make_records(3000, 21);
  Rec big;  // one maximal record: a 128 KiB text line, far over the initial buffer
  big.cycle = recs.back().cycle + 1;
  big.address = 0x1000;
  big.length = RRT_MAX_LENGTH;
  big.cmd = RRT_CMD_WRITE;
  big.has_data = true;
  for (uint32_t k = 0; k < RRT_MAX_LENGTH; ++k) big.data.push_back((uint8_t)(k * 7));
  recs.push_back(big);
  recs.push_back(recs.front());
  recs.back().cycle = big.cycle + 5;
  ASSERT_EQ(write_records(path("g.stl.gz"), recs, test_prov()), BNN_OK);
  ASSERT_EQ(write_records(path("p.stl"), recs, test_prov()), BNN_OK);
  // gzip data under a plain name is still inflated.
  ASSERT_EQ(rename(path("g.stl.gz").c_str(), path("g.stl").c_str()), 0);
  for (const char *name : {"g.stl", "p.stl"}) {
    SCOPED_TRACE(name);
    std::vector<Rec> v;
    ASSERT_EQ(read_records(path(name), &v), BNN_OK) << bnn_errmsg();
    expect_same(recs, v);
  }
  // The input offset is the bytes taken from the file: all of them at the end.
  for (const char *name : {"g.stl", "p.stl"}) {
    SCOPED_TRACE(name);
    rrt_access_reader *r = nullptr;
    ASSERT_EQ(rrt_access_reader_open(path(name).c_str(), nullptr, &r), BNN_OK);
    rrt_access a;
    int got = 1;
    while (got) ASSERT_EQ(rrt_access_reader_next(r, &a, &got), BNN_OK) << bnn_errmsg();
    EXPECT_EQ(rrt_access_reader_input_offset(r), read_file(name).size());
    rrt_access_reader_close(r);
  }
  // Regular files only (issue 14): a FIFO is refused at once — never opened for reading, which
  // blocks until a writer comes — and so are devices and directories.
  ASSERT_EQ(mkfifo(path("f1.stl").c_str(), 0600), 0);
  mkdir(path("d.stl").c_str(), 0755);
  ASSERT_EQ(symlink("/dev/zero", path("zero.stl").c_str()), 0);  // the reader goes by the name
  const struct {
    std::string file;
    const char *why;
  } refused[] = {{path("f1.stl"), "is a FIFO (named pipe), not a regular file"},
                 {path("zero.stl"), "is a character device, not a regular file"},
                 {path("d.stl"), "is a directory, not a regular file"}};
  for (const auto &c : refused) {
    SCOPED_TRACE(c.file);
    std::vector<Rec> v;
    EXPECT_EQ(read_records(c.file, &v), BNN_E_IO);
    EXPECT_NE(std::string(bnn_errmsg()).find(c.why), std::string::npos) << bnn_errmsg();
  }
  rmdir(path("d.stl").c_str());
  std::remove(path("zero.stl").c_str());
}

TEST_F(TraceTest, AbortAndFailedWritesLeaveNothingBehind) {
  rrt_access_writer *w = nullptr;
  ASSERT_EQ(rrt_access_writer_open(path("a.rrt").c_str(), nullptr, &w), BNN_OK);
  rrt_access a = {1, 2, 64, RRT_CMD_READ, 0, nullptr};
  ASSERT_EQ(rrt_access_writer_put(w, &a), BNN_OK);
  rrt_access_writer_abort(w);
  EXPECT_FALSE(exists("a.rrt"));
  // Refused records: the writer stays usable.
  ASSERT_EQ(rrt_access_writer_open(path("b.stl").c_str(), nullptr, &w), BNN_OK);
  rrt_access bad = {1, 2, 0, RRT_CMD_READ, 0, nullptr};
  EXPECT_EQ(rrt_access_writer_put(w, &bad), BNN_E_ARG);
  bad.length = 8;
  bad.has_data = 1;
  EXPECT_EQ(rrt_access_writer_put(w, &bad), BNN_E_ARG);
  ASSERT_EQ(rrt_access_writer_put(w, &a), BNN_OK);
  EXPECT_FALSE(exists("b.stl"));  // nothing visible before close
  ASSERT_EQ(rrt_access_writer_close(w), BNN_OK);
  EXPECT_TRUE(exists("b.stl"));
  std::string ls = "ls '" + dir + "' | grep -c tmp > /dev/null";
  EXPECT_NE(system(ls.c_str()), 0) << "temporary file left behind";
}

// Fails the n-th allocation: every error path must free what it took (ASan checks the leaks).
struct FailingAlloc {
  static long countdown;
  static void *alloc(void *, size_t n) { return --countdown == 0 ? nullptr : malloc(n); }
  static void *realloc_(void *, void *p, size_t n) {
    return --countdown == 0 ? nullptr : realloc(p, n);
  }
  static void free_(void *, void *p) { free(p); }
};
long FailingAlloc::countdown = 0;

TEST_F(TraceTest, AllocationFailuresAreCleanErrors) {
  std::vector<Rec> recs = make_records(50, 9);
  ASSERT_EQ(write_records(path("f.rrt"), recs, test_prov()), BNN_OK);
  write_file("f.stl", "# seed: 1\n" + std::string(100000, '#') + "\n0: read 0x0\n");
  bnn_allocator fa = {FailingAlloc::alloc, FailingAlloc::realloc_, FailingAlloc::free_, nullptr};
  for (const char *name : {"f.rrt", "f.stl", "out.stl.gz"}) {
    bool ok = false;
    for (long n = 1; n < 50 && !ok; ++n) {
      FailingAlloc::countdown = n;
      bnn_set_allocator(&fa);
      bnn_status s;
      if (!strcmp(name, "out.stl.gz")) {
        s = write_records(path(name), recs, test_prov());
      } else {
        std::vector<Rec> v;
        s = read_records(path(name), &v);
      }
      bnn_set_allocator(nullptr);
      if (s == BNN_OK)
        ok = true;
      else
        EXPECT_EQ(s, BNN_E_NOMEM) << name << " n=" << n << ": " << bnn_errmsg();
    }
    EXPECT_TRUE(ok) << name;
  }
}

// ------------------------------------------------------------------------------------------------

long rss_kb() {
  // Current resident set (not the peak) so earlier tests do not mask growth here.
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Generates n records on the fly (never holding them), writes, reads back and checks them.
void stream_large(const std::string &file, uint64_t n) {
  long rss0 = rss_kb();
  rrt_access_write_params wp = rrt_access_write_default_params();
  wp.prov = test_prov();
  rrt_access_writer *w = nullptr;
  ASSERT_EQ(rrt_access_writer_open(file.c_str(), &wp, &w), BNN_OK) << bnn_errmsg();
  uint8_t data[64];
  uint64_t t = 0;
  long peak = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t h = bnn_rng_hash(17, 0, i);
    t += h % 8;
    for (int k = 0; k < 8; ++k) memcpy(data + 8 * k, &h, 8);
    rrt_access a = {
        t,   (h >> 20) & ~63ull, 64, (h & 1) ? RRT_CMD_WRITE : RRT_CMD_READ, (int)((h >> 1) & 1),
        data};
    ASSERT_EQ(rrt_access_writer_put(w, &a), BNN_OK);
    if ((i & 0xFFFFF) == 0) peak = std::max(peak, rss_kb());
  }
  ASSERT_EQ(rrt_access_writer_close(w), BNN_OK) << bnn_errmsg();
  rrt_access_reader *r = nullptr;
  ASSERT_EQ(rrt_access_reader_open(file.c_str(), nullptr, &r), BNN_OK) << bnn_errmsg();
  t = 0;
  uint64_t i = 0;
  rrt_access a;
  int got;
  while (rrt_access_reader_next(r, &a, &got) == BNN_OK && got) {
    uint64_t h = bnn_rng_hash(17, 0, i);
    t += h % 8;
    if (a.cycle != t || a.address != ((h >> 20) & ~63ull) || a.has_data != (int)((h >> 1) & 1)) {
      ADD_FAILURE() << "record " << i << " differs";
      break;
    }
    if (a.has_data && memcmp(a.data, &h, 8) != 0) {
      ADD_FAILURE() << "record " << i << " data differs";
      break;
    }
    ++i;
    if ((i & 0xFFFFF) == 0) peak = std::max(peak, rss_kb());
  }
  EXPECT_STREQ(bnn_errmsg(), bnn_errmsg());
  EXPECT_EQ(i, n) << bnn_errmsg();
  rrt_access_reader_close(r);
  // Flat memory: buffers are a few hundred KiB whatever the trace length.
  EXPECT_LT(peak - rss0, 16 * 1024) << "RSS grew by " << (peak - rss0) << " KiB";
}

TEST_F(TraceTest, StreamsAMillionRecordsInFlatMemory) {
  stream_large(path("big.rrt"), 1000000);
  stream_large(path("big.stl.gz"), 1000000);
}

// 10^7 records; run by the `slow` CTest entry (tests/traces/CMakeLists.txt).
TEST_F(TraceTest, SlowStreamsTenMillionRecordsInFlatMemory) {
  stream_large(path("huge.rrt"), 10000000);
  stream_large(path("huge.stl"), 10000000);
}

// ------------------------------------------------------------------------------------------------
// Timing semantics and the trace player's request source.

TEST_F(TraceTest, BinaryKeepsRelativeTiming) {
  write_file("r.rstl", "# clock_ps: 1000\n5: read 0x0\n0: read 0x40\n7: write 0x80\n");
  rrt_access_reader *r = nullptr;
  ASSERT_EQ(rrt_access_reader_open(path("r.rstl").c_str(), nullptr, &r), BNN_OK);
  EXPECT_EQ(rrt_access_reader_timing(r), RRT_TIMING_RELATIVE);
  rrt_access_write_params wp = rrt_access_write_default_params();
  wp.prov = *rrt_access_reader_provenance(r);
  wp.timing = rrt_access_reader_timing(r);
  rrt_access_writer *w = nullptr;
  ASSERT_EQ(rrt_access_writer_open(path("r.rrt").c_str(), &wp, &w), BNN_OK);
  rrt_access a;
  int got;
  while (rrt_access_reader_next(r, &a, &got) == BNN_OK && got)
    ASSERT_EQ(rrt_access_writer_put(w, &a), BNN_OK);
  rrt_access_reader_close(r);
  // A relative binary trace refuses a step back, like .rstl.
  rrt_access back = {1, 0, 64, RRT_CMD_READ, 0, nullptr};
  EXPECT_EQ(rrt_access_writer_put(w, &back), BNN_E_ARG);
  ASSERT_EQ(rrt_access_writer_close(w), BNN_OK);
  ASSERT_EQ(rrt_access_reader_open(path("r.rrt").c_str(), nullptr, &r), BNN_OK);
  EXPECT_EQ(rrt_access_reader_timing(r), RRT_TIMING_RELATIVE);
  EXPECT_EQ(rrt_access_reader_provenance(r)->clock_ps, 1000u);
  rrt_access_reader_close(r);
  // Absolute text and default binary are absolute.
  write_file("a.stl", "0: read 0x0\n");
  ASSERT_EQ(rrt_access_reader_open(path("a.stl").c_str(), nullptr, &r), BNN_OK);
  EXPECT_EQ(rrt_access_reader_timing(r), RRT_TIMING_ABSOLUTE);
  rrt_access_reader_close(r);
  // Reserved header flag bits are refused.
  std::string bin = read_file("r.rrt");
  bin[10] = 2;
  write_file("flags.rrt", bin);
  EXPECT_EQ(rrt_access_reader_open(path("flags.rrt").c_str(), nullptr, &r), BNN_E_FORMAT);
  EXPECT_NE(std::string(bnn_errmsg()).find("reserved bits"), std::string::npos) << bnn_errmsg();
}

TEST_F(TraceTest, SourceComputesTimesAndChecksCapacityAndConfig) {
  write_file("s.stl",
             "# config_hash: fnv1a64:aaaa\n# clock_ps: 1250\n10: read 0x0\n12: (128) write "
             "0xF80\n11: read 0x40\n");
  rrt_source_params sp = rrt_source_default_params();
  sp.capacity = 4096;
  sp.config_hash = "fnv1a64:aaaa";
  rrt_source *src = nullptr;
  ASSERT_EQ(rrt_source_open(path("s.stl").c_str(), &sp, &src), BNN_OK) << bnn_errmsg();
  EXPECT_STREQ(rrt_source_warning(src), "");
  EXPECT_EQ(rrt_source_clock_ps(src), 1250u);
  rrt_request q;
  int got;
  uint64_t want_ps[] = {12500, 15000, 13750};
  for (uint64_t t : want_ps) {
    ASSERT_EQ(rrt_source_next(src, &q, &got), BNN_OK) << bnn_errmsg();
    ASSERT_EQ(got, 1);
    EXPECT_EQ(q.timing, RRT_TIMING_ABSOLUTE);
    EXPECT_EQ(q.time_ps, t);
    EXPECT_EQ(q.delay_ps, 0u);
  }
  ASSERT_EQ(rrt_source_next(src, &q, &got), BNN_OK);
  EXPECT_EQ(got, 0);
  rrt_source_close(src);

  // Past the capacity (0xF80 + 128 = 4224 > 4000): the error names file and line.
  sp.capacity = 4000;
  ASSERT_EQ(rrt_source_open(path("s.stl").c_str(), &sp, &src), BNN_OK);
  ASSERT_EQ(rrt_source_next(src, &q, &got), BNN_OK);
  EXPECT_EQ(rrt_source_next(src, &q, &got), BNN_E_RANGE);
  EXPECT_EQ(got, 0);
  EXPECT_NE(std::string(bnn_errmsg())
                .find(path("s.stl") + ":4: access at 0xf80 of 128 bytes "
                                      "reaches past the memory capacity of 4000 bytes"),
            std::string::npos)
      << bnn_errmsg();
  rrt_source_close(src);

  // Another config: a warning, not an error. The caller's clock overrides the header's.
  sp.capacity = 0;
  sp.config_hash = "fnv1a64:bbbb";
  sp.clock_ps = 500;
  ASSERT_EQ(rrt_source_open(path("s.stl").c_str(), &sp, &src), BNN_OK);
  EXPECT_NE(std::string(rrt_source_warning(src))
                .find("recorded with config_hash 'fnv1a64:aaaa', replaying with 'fnv1a64:bbbb'"),
            std::string::npos)
      << rrt_source_warning(src);
  ASSERT_EQ(rrt_source_next(src, &q, &got), BNN_OK);
  EXPECT_EQ(q.time_ps, 5000u);
  rrt_source_close(src);

  // No clock anywhere: refused.
  write_file("noclock.stl", "0: read 0x0\n");
  EXPECT_EQ(rrt_source_open(path("noclock.stl").c_str(), nullptr, &src), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg()).find("names no clock"), std::string::npos);

  // Relative: delays are the deltas times the clock.
  write_file("s.rstl", "# clock_ps: 1000\n5: read 0x0\n0: read 0x40\n7: write 0x80\n");
  ASSERT_EQ(rrt_source_open(path("s.rstl").c_str(), nullptr, &src), BNN_OK);
  uint64_t want_delay[] = {5000, 0, 7000};
  for (uint64_t d : want_delay) {
    ASSERT_EQ(rrt_source_next(src, &q, &got), BNN_OK);
    EXPECT_EQ(q.timing, RRT_TIMING_RELATIVE);
    EXPECT_EQ(q.delay_ps, d);
  }
  rrt_source_close(src);

  // Binary: the error names the record.
  std::vector<Rec> recs = make_records(10, 1);
  for (size_t i = 0; i < recs.size(); ++i) recs[i].address = i * 64;
  recs[6].address = 1ull << 40;
  rrt_provenance prov = test_prov();
  ASSERT_EQ(write_records(path("s.rrt"), recs, prov), BNN_OK);
  sp = rrt_source_default_params();
  sp.capacity = 1ull << 32;
  ASSERT_EQ(rrt_source_open(path("s.rrt").c_str(), &sp, &src), BNN_OK);
  bnn_status st;
  while ((st = rrt_source_next(src, &q, &got)) == BNN_OK && got) {
  }
  EXPECT_EQ(st, BNN_E_RANGE);
  EXPECT_NE(std::string(bnn_errmsg()).find("s.rrt: record 7: access at"), std::string::npos)
      << bnn_errmsg();
  rrt_source_close(src);
}

// ------------------------------------------------------------------------------------------------

std::vector<rrt_fault> make_faults(size_t n) {
  std::vector<rrt_fault> v;
  for (size_t i = 0; i < n; ++i) {
    uint64_t h = bnn_rng_hash(5, 1, i);
    rrt_fault f;
    f.time_ps = i * 1000 + (h % 1000);
    f.address = h >> 24;
    f.bit = (uint32_t)(h % 8);
    f.kind = (rrt_fault_kind)((h >> 3) % RRT_FAULT_KIND_COUNT);
    f.old_value = (uint8_t)((h >> 5) & 1);
    f.new_value = (uint8_t)(f.old_value ^ 1);
    f.layer = (h >> 6) % 3 == 0 ? -1 : (int32_t)((h >> 8) % 5);
    f.neuron = f.layer < 0 ? -1 : (int64_t)((h >> 10) % 1000);
    f.weight = f.layer < 0 ? -1 : (int64_t)((h >> 12) % 100000);
    f.access = f.kind == RRT_FAULT_READ ? (int64_t)i * 3 : -1;
    v.push_back(f);
  }
  return v;
}

TEST_F(TraceTest, FaultTraceRoundTripAndModelCheck) {
  std::vector<rrt_fault> faults = make_faults(5000);
  rrt_provenance prov = test_prov();
  prov.model_id = "crc32:1a2b3c4d";
  for (const char *name : {"f.csv", "f.csv.gz"}) {
    SCOPED_TRACE(name);
    rrt_fault_writer *w = nullptr;
    ASSERT_EQ(rrt_fault_writer_open(path(name).c_str(), &prov, 0, &w), BNN_OK) << bnn_errmsg();
    for (const rrt_fault &f : faults) ASSERT_EQ(rrt_fault_writer_put(w, &f), BNN_OK);
    ASSERT_EQ(rrt_fault_writer_close(w), BNN_OK);
    rrt_fault_reader *r = nullptr;
    ASSERT_EQ(rrt_fault_reader_open(path(name).c_str(), 0, &r), BNN_OK) << bnn_errmsg();
    EXPECT_STREQ(rrt_fault_reader_provenance(r)->model_id, "crc32:1a2b3c4d");
    EXPECT_STREQ(rrt_fault_reader_provenance(r)->seed, "42");
    EXPECT_EQ(rrt_fault_reader_check_model(r, "crc32:1a2b3c4d"), BNN_OK);
    EXPECT_EQ(rrt_fault_reader_check_model(r, "crc32:99999999"), BNN_E_ARG);
    EXPECT_NE(std::string(bnn_errmsg())
                  .find("recorded for model 'crc32:1a2b3c4d', not for "
                        "'crc32:99999999'"),
              std::string::npos)
        << bnn_errmsg();
    size_t i = 0;
    rrt_fault f;
    int got;
    while (rrt_fault_reader_next(r, &f, &got) == BNN_OK && got) {
      ASSERT_LT(i, faults.size());
      ASSERT_EQ(fields(f), fields(faults[i])) << "fault " << i;
      ++i;
    }
    EXPECT_EQ(i, faults.size()) << bnn_errmsg();
    rrt_fault_reader_close(r);
  }
  // The CSV is one header row and the records (pandas.read_csv reads it with its defaults); what
  // wrote it is in the sidecar next to it.
  std::string s = read_file("f.csv");
  EXPECT_EQ(s.rfind("time_ps,address,bit,kind,old,new,layer,neuron,weight,access\n", 0), 0u)
      << s.substr(0, 200);
  EXPECT_EQ(s.find('#'), std::string::npos);
  for (const char *side : {"f.csv.meta.json", "f.csv.gz.meta.json"}) {
    SCOPED_TRACE(side);
    const std::string j = read_file(side);
    EXPECT_NE(j.find("\"model_id\": \"crc32:1a2b3c4d\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"config_hash\": \"fnv1a64:0123456789abcdef\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"records\": 5000"), std::string::npos) << j;
    EXPECT_NE(j.find("\"content_format\": \"faults-csv 1\""), std::string::npos) << j;
    EXPECT_NE(j.find("\"columns\": [\"time_ps\", \"address\", \"bit\", \"kind\", \"old\", "
                     "\"new\", \"layer\", \"neuron\", \"weight\", \"access\"]"),
              std::string::npos)
        << j;
  }
}

// Fault traces written before the sidecar (provenance as '#' header lines) still read; a file
// without either names no model; '#' lines win over a sidecar; a malformed sidecar is an error
// naming it; provenance with quotes, backslashes and non-ASCII text survives the JSON.
TEST_F(TraceTest, FaultTraceSidecarAndOldHeaders) {
  const std::string cols = "time_ps,address,bit,kind,old,new,layer,neuron,weight,access\n";
  const std::string rec = "5,0x20,1,write,1,0,0,1,2,-1\n";
  write_file("old.csv",
             "# rramsim fault trace (CSV)\n# format: faults-csv 1\n# tool: t 0.1\n"
             "# config_hash: fnv1a64:aa\n# seed: 7\n# model_id: crc32:0000beef\n" +
                 cols + rec);
  rrt_fault_reader *r = nullptr;
  ASSERT_EQ(rrt_fault_reader_open(path("old.csv").c_str(), 0, &r), BNN_OK) << bnn_errmsg();
  EXPECT_STREQ(rrt_fault_reader_provenance(r)->model_id, "crc32:0000beef");
  EXPECT_STREQ(rrt_fault_reader_provenance(r)->seed, "7");
  EXPECT_EQ(rrt_fault_reader_check_model(r, "crc32:0000beef"), BNN_OK);
  rrt_fault f;
  int got;
  ASSERT_EQ(rrt_fault_reader_next(r, &f, &got), BNN_OK);
  EXPECT_EQ(got, 1);
  EXPECT_EQ(f.address, 0x20u);
  rrt_fault_reader_close(r);

  write_file("bare.csv", cols + rec);
  ASSERT_EQ(rrt_fault_reader_open(path("bare.csv").c_str(), 0, &r), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(rrt_fault_reader_check_model(r, "crc32:0000beef"), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg())
                .find(path("bare.csv") + ": fault trace names no model (no sidecar " +
                      path("bare.csv") + ".meta.json next to it, no '# model_id:' line; a copy"),
            std::string::npos)
      << bnn_errmsg();
  rrt_fault_reader_close(r);

  // A sidecar with members of every JSON type, escapes, and a '#' line that overrides the seed.
  write_file("side.csv", "# seed: 9\n" + cols + rec);
  write_file(
      "side.csv.meta.json",
      "{\"format\": \"rramsim csv sidecar 1\", \"records\": 1, \"x\": [1, {\"y\": null}, "
      "true, -2.5e3], \"tool\": \"a \\\"q\\\" \\\\ \\u00e9\\ud83d\\ude00\", \"seed\": \"1\", "
      "\"model_id\": \"crc32:0000beef\"}\n");
  ASSERT_EQ(rrt_fault_reader_open(path("side.csv").c_str(), 0, &r), BNN_OK) << bnn_errmsg();
  EXPECT_STREQ(rrt_fault_reader_provenance(r)->tool, "a \"q\" \\ \xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_STREQ(rrt_fault_reader_provenance(r)->seed, "9");
  EXPECT_EQ(rrt_fault_reader_check_model(r, "crc32:0000beef"), BNN_OK);
  rrt_fault_reader_close(r);
  write_file("side.csv.meta.json", "{\"records\": 1}");
  ASSERT_EQ(rrt_fault_reader_open(path("side.csv").c_str(), 0, &r), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(rrt_fault_reader_check_model(r, "crc32:0000beef"), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg())
                .find("(its sidecar " + path("side.csv") + ".meta.json has no model_id)"),
            std::string::npos)
      << bnn_errmsg();
  rrt_fault_reader_close(r);

  const char *bad[] = {
      "",
      "[]",
      "{\"tool\": 1}",
      "{\"tool\": \"a\"",
      "{\"tool\": \"a\\nb\"}",
      "{\"tool\": \"\\ud800\"}",
      "{\"tool\": \"a\"} x",
      "{\"x\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
      "{\"x\" 1}",
      "{\"x\": 1,}"};
  for (const char *b : bad) {
    SCOPED_TRACE(b);
    write_file("side.csv.meta.json", b);
    r = nullptr;
    EXPECT_EQ(rrt_fault_reader_open(path("side.csv").c_str(), 0, &r), BNN_E_FORMAT);
    EXPECT_EQ(r, nullptr);
    EXPECT_NE(
        std::string(bnn_errmsg())
            .find(path("side.csv.meta.json") + ": malformed sidecar of " + path("side.csv") + ": "),
        std::string::npos)
        << bnn_errmsg();
  }

  // Written provenance with characters JSON must escape reads back unchanged.
  rrt_provenance prov = test_prov();
  prov.tool = "quote\" back\\slash \t tab";
  prov.model_id = "crc32:12345678";
  rrt_fault_writer *w = nullptr;
  ASSERT_EQ(rrt_fault_writer_open(path("esc.csv.gz").c_str(), &prov, 0, &w), BNN_OK);
  ASSERT_EQ(rrt_fault_writer_close(w), BNN_OK);
  ASSERT_EQ(rrt_fault_reader_open(path("esc.csv.gz").c_str(), 0, &r), BNN_OK) << bnn_errmsg();
  EXPECT_STREQ(rrt_fault_reader_provenance(r)->tool, prov.tool);
  EXPECT_STREQ(rrt_fault_reader_provenance(r)->model_id, prov.model_id);
  ASSERT_EQ(rrt_fault_reader_next(r, &f, &got), BNN_OK);
  EXPECT_EQ(got, 0);
  rrt_fault_reader_close(r);
  EXPECT_NE(read_file("esc.csv.gz.meta.json").find("\"records\": 0"), std::string::npos);
  // Rewriting a file replaces its sidecar; an aborted writer leaves both as they were.
  prov.model_id = "crc32:87654321";
  ASSERT_EQ(rrt_fault_writer_open(path("esc.csv.gz").c_str(), &prov, 0, &w), BNN_OK);
  rrt_fault_writer_abort(w);
  EXPECT_NE(read_file("esc.csv.gz.meta.json").find("crc32:12345678"), std::string::npos);
  ASSERT_EQ(rrt_fault_writer_open(path("esc.csv.gz").c_str(), &prov, 0, &w), BNN_OK);
  ASSERT_EQ(rrt_fault_writer_close(w), BNN_OK);
  EXPECT_NE(read_file("esc.csv.gz.meta.json").find("crc32:87654321"), std::string::npos);
}

TEST_F(TraceTest, FaultTraceBadInput) {
  const std::string head =
      "# model_id: m1\ntime_ps,address,bit,kind,old,new,layer,neuron,weight,access\n";
  const char *bad[] = {
      "1,0x10,8,write,0,1,-1,-1,-1,-1",   // bit out of range
      "1,0x10,3,flip,0,1,-1,-1,-1,-1",    // unknown kind
      "1,0x10,3,read,2,1,-1,-1,-1,-1",    // bad old value
      "1,0x10,3,read,0,1,-1,-1,-1",       // too few fields
      "1,0x10,3,read,0,1,-1,-1,-1,-1,7",  // too many fields
      "1,0x10,3,read,0,1,-2,-1,-1,-1",    // layer below -1
      "t,0x10,3,read,0,1,-1,-1,-1,-1",    // bad time
  };
  int i = 0;
  for (const char *line : bad) {
    SCOPED_TRACE(line);
    std::string name = "bf" + std::to_string(i++) + ".csv";
    write_file(name, head + "5,0x20,1,write,1,0,0,1,2,-1\n" + line + "\n");
    rrt_fault_reader *r = nullptr;
    ASSERT_EQ(rrt_fault_reader_open(path(name).c_str(), 0, &r), BNN_OK) << bnn_errmsg();
    rrt_fault f;
    int got;
    EXPECT_EQ(rrt_fault_reader_next(r, &f, &got), BNN_OK);
    EXPECT_EQ(rrt_fault_reader_next(r, &f, &got), BNN_E_FORMAT);
    EXPECT_NE(std::string(bnn_errmsg()).find(path(name) + ":4: malformed fault record"),
              std::string::npos)
        << bnn_errmsg();
    rrt_fault_reader_close(r);
    ASSERT_EQ(rrt_fault_reader_open(path(name).c_str(), 1, &r), BNN_OK);
    int n = 0;
    while (rrt_fault_reader_next(r, &f, &got) == BNN_OK && got) ++n;
    EXPECT_EQ(n, 1);
    EXPECT_EQ(rrt_fault_reader_bad_lines(r), 1u);
    EXPECT_EQ(rrt_fault_reader_first_bad_line(r), 4u);
    rrt_fault_reader_close(r);
  }
  // Empty fields mean "unknown" (-1).
  write_file("empty.csv", head + "5,0x20,1,write,1,0,,,,\n");
  rrt_fault_reader *r = nullptr;
  ASSERT_EQ(rrt_fault_reader_open(path("empty.csv").c_str(), 0, &r), BNN_OK);
  rrt_fault f;
  int got;
  ASSERT_EQ(rrt_fault_reader_next(r, &f, &got), BNN_OK);
  ASSERT_EQ(got, 1);
  EXPECT_EQ(f.layer, -1);
  EXPECT_EQ(f.access, -1);
  // A file without a model line is refused when a model is expected.
  rrt_fault_reader_close(r);
  write_file("nomodel.csv", "time_ps,address,bit,kind,old,new,layer,neuron,weight,access\n");
  ASSERT_EQ(rrt_fault_reader_open(path("nomodel.csv").c_str(), 0, &r), BNN_OK);
  EXPECT_EQ(rrt_fault_reader_check_model(r, "m1"), BNN_E_ARG);
  rrt_fault_reader_close(r);
  // Wrong column header.
  write_file("cols.csv", "time,address,bit,kind,old,new,layer,neuron,weight,access\n");
  EXPECT_EQ(rrt_fault_reader_open(path("cols.csv").c_str(), 0, &r), BNN_E_FORMAT);
  EXPECT_NE(std::string(bnn_errmsg()).find("cols.csv:1: expected the column header"),
            std::string::npos);
  // Writer refuses impossible faults.
  rrt_fault_writer *w = nullptr;
  ASSERT_EQ(rrt_fault_writer_open(path("w.csv").c_str(), nullptr, 0, &w), BNN_OK);
  rrt_fault g = make_faults(1)[0];
  g.bit = 9;
  EXPECT_EQ(rrt_fault_writer_put(w, &g), BNN_E_ARG);
  rrt_fault_writer_abort(w);
  EXPECT_FALSE(exists("w.csv"));
}

TEST_F(TraceTest, ProvenanceCompare) {
  rrt_provenance a = test_prov(), b = test_prov();
  char msg[256];
  EXPECT_EQ(rrt_prov_compare(&a, &b, ~0u, msg, sizeof msg), 0u);
  b.config_hash = "fnv1a64:ffff";
  EXPECT_EQ(rrt_prov_compare(&a, &b, ~0u, msg, sizeof msg), (unsigned)RRT_PROV_CONFIG_HASH);
  EXPECT_STREQ(msg, "config_hash: file says 'fnv1a64:0123456789abcdef', expected 'fnv1a64:ffff'");
  EXPECT_EQ(rrt_prov_compare(&a, &b, RRT_PROV_SEED, msg, sizeof msg), 0u);
  b.config_hash = "";  // empty expectations are not compared
  b.clock_ps = 1000;
  EXPECT_EQ(rrt_prov_compare(&a, &b, ~0u, msg, sizeof msg), (unsigned)RRT_PROV_CLOCK);
}

// ------------------------------------------------------------------------------------------------

TEST_F(TraceTest, ErrorMapRoundTripBothForms) {
  for (rrt_cell_loc loc : {RRT_LOC_ADDRESS, RRT_LOC_ARRAY}) {
    std::string name = loc == RRT_LOC_ADDRESS ? "a.csv" : "x.csv.gz";
    std::vector<rrt_cell> cells;
    for (int i = 0; i < 500; ++i) {
      uint64_t h = bnn_rng_hash(3, (uint64_t)loc, (uint64_t)i);
      rrt_cell c;
      memset(&c, 0, sizeof c);
      c.loc = loc;
      c.address = h >> 16;
      if (loc == RRT_LOC_ARRAY) {
        c.address = 0;
        c.bank = (uint32_t)(h % 8);
        c.crossbar = (uint32_t)((h >> 3) % 64);
        c.row = (uint32_t)((h >> 9) % 128);
        c.column = (uint32_t)((h >> 16) % 128);
      }
      c.bit = (uint32_t)((h >> 30) % (loc == RRT_LOC_ADDRESS ? 8 : 64));
      c.kind = (rrt_cell_kind)((h >> 40) % RRT_CELL_KIND_COUNT);
      c.rate = c.kind == RRT_CELL_FLIP_RATE ? (double)(h >> 11) / 9007199254740992.0 : 0.0;
      cells.push_back(c);
    }
    rrt_errmap_writer *w = nullptr;
    ASSERT_EQ(rrt_errmap_writer_open(path(name).c_str(), nullptr, loc, &w), BNN_OK);
    for (const rrt_cell &c : cells) ASSERT_EQ(rrt_errmap_writer_put(w, &c), BNN_OK);
    ASSERT_EQ(rrt_errmap_writer_close(w), BNN_OK);
    // One header row, then the cells; the sidecar names the columns and counts the cells.
    if (loc == RRT_LOC_ADDRESS) {
      EXPECT_EQ(read_file(name).rfind("address,bit,kind,rate\n", 0), 0u);
    }
    EXPECT_NE(read_file(name + ".meta.json").find("\"records\": 500"), std::string::npos);
    rrt_errmap_reader *r = nullptr;
    ASSERT_EQ(rrt_errmap_reader_open(path(name).c_str(), 0, &r), BNN_OK) << bnn_errmsg();
    EXPECT_EQ(rrt_errmap_reader_loc(r), loc);
    rrt_cell c;
    int got;
    size_t i = 0;
    while (rrt_errmap_reader_next(r, &c, &got) == BNN_OK && got) {
      ASSERT_LT(i, cells.size());
      ASSERT_EQ(fields(c), fields(cells[i])) << "cell " << i;  // rates: %.17g reads back exactly
      ++i;
    }
    EXPECT_EQ(i, cells.size()) << bnn_errmsg();
    rrt_errmap_reader_close(r);
  }
}

TEST_F(TraceTest, ErrorMapExampleFileAndBadInput) {
  for (const char *ex :
       {"/traces/examples/errmap_address.csv", "/traces/examples/errmap_array.csv"}) {
    rrt_errmap_reader *r = nullptr;
    std::string p = std::string(RRAMSIM_SOURCE_DIR) + ex;
    ASSERT_EQ(rrt_errmap_reader_open(p.c_str(), 0, &r), BNN_OK) << bnn_errmsg();
    rrt_cell c;
    int got;
    int n = 0;
    bnn_status s;
    while ((s = rrt_errmap_reader_next(r, &c, &got)) == BNN_OK && got) ++n;
    EXPECT_EQ(s, BNN_OK) << bnn_errmsg();
    EXPECT_GT(n, 3);
    rrt_errmap_reader_close(r);
  }
  // Columns in another order, aliases, a UTF-8 byte-order mark and CRLF from a spreadsheet.
  write_file("o.csv", "\xEF\xBB\xBFkind,bit,address\r\nsa1,7,4096\r\nsa0,0,0x10\r\n");
  rrt_errmap_reader *r = nullptr;
  ASSERT_EQ(rrt_errmap_reader_open(path("o.csv").c_str(), 0, &r), BNN_OK) << bnn_errmsg();
  rrt_cell c;
  int got;
  ASSERT_EQ(rrt_errmap_reader_next(r, &c, &got), BNN_OK);
  EXPECT_EQ(c.address, 4096u);
  EXPECT_EQ(c.bit, 7u);
  EXPECT_EQ(c.kind, RRT_CELL_STUCK_AT_1);
  rrt_errmap_reader_close(r);
  // Header errors.
  const char *bad_headers[] = {"address,bit\n", "address,bank,crossbar,row,column,bit,kind\n",
                               "bank,row,bit,kind\n", "address,bit,kind,colour\n",
                               "address,bit,kind,kind\n"};
  for (const char *h : bad_headers) {
    write_file("h.csv", h);
    EXPECT_EQ(rrt_errmap_reader_open(path("h.csv").c_str(), 0, &r), BNN_E_FORMAT) << h;
    EXPECT_NE(std::string(bnn_errmsg()).find("h.csv:1:"), std::string::npos) << bnn_errmsg();
  }
  // Line errors.
  const char *bad_lines[] = {
      "0x10,8,sa0,",    "0x10,1,sa2,", "0x10,1,flip-rate,", "0x10,1,flip-rate,1.5",
      "0x10,1,sa0,0.1", "0x10,1",      "zz,1,sa0,"};
  for (const char *l : bad_lines) {
    write_file("l.csv", std::string("address,bit,kind,rate\n0x0,0,sa0,\n") + l + "\n");
    ASSERT_EQ(rrt_errmap_reader_open(path("l.csv").c_str(), 0, &r), BNN_OK);
    EXPECT_EQ(rrt_errmap_reader_next(r, &c, &got), BNN_OK);
    EXPECT_EQ(rrt_errmap_reader_next(r, &c, &got), BNN_E_FORMAT) << l;
    EXPECT_NE(std::string(bnn_errmsg()).find("l.csv:3: malformed error-map cell"),
              std::string::npos)
        << bnn_errmsg();
    rrt_errmap_reader_close(r);
    ASSERT_EQ(rrt_errmap_reader_open(path("l.csv").c_str(), 1, &r), BNN_OK);
    while (rrt_errmap_reader_next(r, &c, &got) == BNN_OK && got) {
    }
    EXPECT_EQ(rrt_errmap_reader_records(r), 1u);
    EXPECT_EQ(rrt_errmap_reader_bad_lines(r), 1u);
    EXPECT_EQ(rrt_errmap_reader_first_bad_line(r), 3u);
    rrt_errmap_reader_close(r);
  }
}

// ------------------------------------------------------------------------------------------------
// The CLI: rramsim trace convert / info.

int run(const std::string &args, std::string *out = nullptr) {
  std::string cmd = std::string(RRAMSIM_BINARY_DIR) + "/apps/rramsim trace " + args + " 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) s.append(buf, n);
  int rc = pclose(p);
  if (out) *out = s;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_F(TraceTest, CliConvertAndInfo) {
  std::vector<Rec> recs = make_records(1000, 21);
  ASSERT_EQ(write_records(path("c.stl"), recs, test_prov()), BNN_OK);
  std::string out;
  ASSERT_EQ(run("convert '" + path("c.stl") + "' '" + path("c.rrt.gz") + "'", &out), 0) << out;
  ASSERT_EQ(run("convert '" + path("c.rrt.gz") + "' '" + path("c2.rstl") + "'", &out), 0) << out;
  std::vector<Rec> back;
  ASSERT_EQ(read_records(path("c2.rstl"), &back), BNN_OK) << bnn_errmsg();
  expect_same(recs, back);
  rrt_access_reader *r = nullptr;
  ASSERT_EQ(rrt_access_reader_open(path("c2.rstl").c_str(), nullptr, &r), BNN_OK);
  EXPECT_STREQ(rrt_access_reader_provenance(r)->config_hash, "fnv1a64:0123456789abcdef");
  rrt_access_reader_close(r);
  ASSERT_EQ(run("info '" + path("c.rrt.gz") + "'", &out), 0) << out;
  EXPECT_NE(out.find("records: 1000"), std::string::npos) << out;
  EXPECT_NE(out.find("config_hash: fnv1a64:0123456789abcdef"), std::string::npos) << out;
  // Bad input: a malformed line, then --skip-bad.
  write_file("bad.stl", "0: read 0x0\noops\n1: read 0x40\n");
  EXPECT_EQ(run("info '" + path("bad.stl") + "'", &out), 1);
  EXPECT_NE(out.find("bad.stl:2: malformed STL record"), std::string::npos) << out;
  EXPECT_EQ(run("convert '" + path("bad.stl") + "' '" + path("bad.rrt") + "'", &out), 1);
  EXPECT_FALSE(exists("bad.rrt"));
  ASSERT_EQ(run("convert --skip-bad '" + path("bad.stl") + "' '" + path("bad.rrt") + "'", &out), 0)
      << out;
  EXPECT_NE(out.find("skipped 1 malformed line"), std::string::npos) << out;
  ASSERT_EQ(run("info '" + path("bad.rrt") + "'", &out), 0);
  EXPECT_NE(out.find("records: 2"), std::string::npos) << out;
  // Usage errors.
  EXPECT_EQ(run("convert onlyone", &out), 2);
  EXPECT_EQ(run("frobnicate", &out), 2);
  EXPECT_EQ(run("--help", &out), 0);
  EXPECT_NE(out.find("convert"), std::string::npos);
  // Relative timing survives a round trip through binary; converting to absolute text says so.
  write_file("t.rstl", "5: read 0x0\n3: read 0x40\n");
  ASSERT_EQ(run("convert '" + path("t.rstl") + "' '" + path("t.rrt") + "'", &out), 0) << out;
  ASSERT_EQ(run("info '" + path("t.rrt") + "'", &out), 0) << out;
  EXPECT_NE(out.find("timing: relative"), std::string::npos) << out;
  ASSERT_EQ(run("convert '" + path("t.rrt") + "' '" + path("t.stl") + "'", &out), 0) << out;
  EXPECT_NE(out.find("note: "), std::string::npos) << out;
  // --default-length applies to records without "(n)".
  write_file("d.stl", "0: read 0x0\n");
  ASSERT_EQ(run("info --default-length 32 '" + path("d.stl") + "'", &out), 0) << out;
  EXPECT_NE(out.find("bytes: read 32, written 0"), std::string::npos) << out;
  EXPECT_EQ(run("info --default-length 0 '" + path("d.stl") + "'", &out), 2);
  // Fault traces and error maps: info recognises them.
  write_file("ft.csv",
             "# model_id: m\ntime_ps,address,bit,kind,old,new,layer,neuron,weight,access\n"
             "5,0x20,1,read,1,0,0,1,2,7\n");
  ASSERT_EQ(run("info '" + path("ft.csv") + "'", &out), 0) << out;
  EXPECT_NE(out.find("kind: fault trace"), std::string::npos) << out;
  EXPECT_NE(out.find("model_id: m"), std::string::npos) << out;
  ASSERT_EQ(run("info '" + std::string(RRAMSIM_SOURCE_DIR) + "/traces/examples/errmap_address.csv'",
                &out),
            0)
      << out;
  EXPECT_NE(out.find("error map"), std::string::npos) << out;
}

}  // namespace
